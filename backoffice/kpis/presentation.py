"""The KPI dashboard as staff see it: the filter form, the tiles, and a section per figure with
its table (from `tables`, which also makes the CSV exports) and its charts. Thin: the numbers
come from `insights.figures`."""

import datetime
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Store
from campaigns.attitude import Attitude, Behaviour
from campaigns.lifecycle import STAGE_LABELS
from insights import figures

from . import charts
from .charts import Series
from .tables import (
    Table,
    _labels,
    activity_table,
    attitude_table,
    churn_table,
    csat_table,
    ladder_table,
    liability_table,
    moves_table,
    nps_table,
    points_table,
    reactivation_table,
    repeat_table,
    rfm_table,
    tiers_table,
    uplift_table,
)

DEFAULT_DAYS = 90
MAX_DAYS = 3 * 366


class KpiFilterForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))
    store = forms.ModelChoiceField(
        label=gettext_lazy("Store"),
        queryset=Store.objects.order_by("code"),
        required=False,
        empty_label=gettext_lazy("All stores"),
        help_text=gettext_lazy("Members who enrolled at this store."),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=[("", gettext_lazy("Online and offline")), *Store.Channel.choices],
        required=False,
    )

    @classmethod
    def from_query(cls, query, today: datetime.date) -> "KpiFilterForm":
        data = {
            "start": (today - datetime.timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            "end": today.isoformat(),
            **{key: query[key] for key in ("start", "end", "store", "channel") if key in query},
        }
        return cls(data)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError(_("The period must end on or after its first day."))
            if (end - start).days >= MAX_DAYS:
                raise ValidationError(_("Choose a period of at most three years."))
        if data.get("store") and data.get("channel"):
            raise ValidationError(_("Choose a store or a channel, not both."))
        return data

    def kpi_filter(self) -> figures.KpiFilter:
        data = self.cleaned_data
        store = data.get("store")
        return figures.KpiFilter(
            start=data["start"],
            end=data["end"],
            store_id=store.pk if store else None,
            channel=data.get("channel") or "",
        )


@dataclass
class Section:
    slug: str  # also the CSV export's name
    title: str
    explanation: str
    table: Table
    charts: list[SafeString] = field(default_factory=list)
    extra_tables: list[tuple[str, str, Table]] = field(default_factory=list)  # (slug, title, table)


# --- the page ---------------------------------------------------------------------------------


@dataclass
class Tile:
    label: str
    value: object
    note: str = ""


def tiles(board: figures.Dashboard) -> list[Tile]:
    end = board.activity.at_end
    return [
        Tile(_("Points liability"), board.points.liability, _("€, at the end")),
        Tile(_("Outstanding points"), board.points.outstanding),
        Tile(_("Active members"), end.active, _("%(dormant)s dormant") % {"dormant": end.dormant}),
        Tile(_("Churn rate"), board.churn.rate, "%"),
        Tile(_("Repeat-purchase rate"), board.repeat.at_end.repeat_rate, "%"),
        Tile(_("Upsell rate"), board.repeat.at_end.upsell_rate, "%"),
        Tile(_("NPS"), board.nps.score, _("%(count)s answers") % {"count": board.nps.responses}),
        Tile(
            _("CSAT"),
            board.csat.score,
            _("%% satisfied (8–10), %(count)s answers") % {"count": board.csat.responses},
        ),
        Tile(_("Customer loyalty index"), board.loyalty_index.index, _("1–10")),
        Tile(
            _("Satisfied but not loyal"),
            board.attitude.satisfied_not_loyal_share,
            _("%% of %(count)s members who answered") % {"count": board.attitude.members},
        ),
        Tile(
            _("Loyal but dissatisfied"),
            board.attitude.loyal_dissatisfied_share,
            _("%% of %(count)s members who answered") % {"count": board.attitude.members},
        ),
    ]


def sections(board: figures.Dashboard) -> list[Section]:
    labels = _labels(board.kpi_filter.buckets())
    end_labels = [bucket.end.strftime("%d-%m") for bucket in board.kpi_filter.buckets()]
    flow, tiers, activity = board.points, board.tiers, board.activity
    return [
        Section(
            "points",
            _("Points issued, redeemed and expired"),
            _(
                "Points by the day they count (the purchase day). Redeemed is net of redemptions "
                "staff undid; taken back: refunds and negative corrections. The liability is the "
                "outstanding points times the point value (€ %(value)s)."
            )
            % {"value": flow.point_value},
            points_table(flow),
            [
                charts.bar_chart(
                    _("Points per period"),
                    _("Points issued, redeemed and expired in each period."),
                    labels,
                    [
                        Series(_("Issued"), [row.issued for row in flow.rows]),
                        Series(_("Redeemed"), [row.redeemed for row in flow.rows]),
                        Series(_("Expired"), [row.expired for row in flow.rows]),
                    ],
                ),
                charts.line_chart(
                    _("Points liability"),
                    _("The value of the outstanding points at the end of each period, in euros."),
                    labels,
                    [Series(_("Liability (€)"), [float(row.liability) for row in flow.rows])],
                ),
            ],
        ),
        Section(
            "tiers",
            _("Members per tier"),
            _("At the end of each period."),
            tiers_table(tiers),
            [
                charts.bar_chart(
                    _("Members per tier"),
                    _("Members in each tier at the end of each period, stacked."),
                    end_labels,
                    [
                        Series(
                            str(tier),
                            [counts[tier.pk] for _bucket, counts in tiers.rows],
                            tier.colour,
                        )
                        for tier in tiers.tiers
                    ],
                    stacked=True,
                )
            ],
        ),
        Section(
            "activity",
            _("Active and dormant members"),
            _(
                "Active: bought in the last %(days)s days; dormant: bought before, not since. "
                "Churn: of the members active when the period began, the share that went "
                "%(days)s days without buying during it."
            )
            % {"days": activity.dormant_after_days},
            activity_table(activity),
            [
                charts.bar_chart(
                    _("Active and dormant members"),
                    _("Active, dormant and never-buying members at the end of each period."),
                    end_labels,
                    [
                        Series(_("Active"), [c.active for _b, c in activity.rows], "#2f855a"),
                        Series(_("Dormant"), [c.dormant for _b, c in activity.rows], "#c53030"),
                        Series(
                            _("Never bought"),
                            [c.never_bought for _b, c in activity.rows],
                            "#a0aec0",
                        ),
                    ],
                    stacked=True,
                )
            ],
            [("churn", _("Churn"), churn_table(board.churn, board.kpi_filter))],
        ),
        Section(
            "repeat",
            _("Repeat purchases and upsell"),
            _(
                "Repeat-purchase rate: members with 2 or more purchases of all who bought. Upsell "
                "rate: of those repeat buyers, the share who bought a product category they had "
                "never bought before. Both count every purchase up to the day."
            ),
            repeat_table(board.repeat),
            [
                charts.line_chart(
                    _("Repeat-purchase and upsell rate"),
                    _("Both rates, in percent, at the end of each period."),
                    end_labels,
                    [
                        Series(
                            _("Repeat-purchase rate"),
                            [_float(row.repeat_rate) for _b, row in board.repeat.rows],
                        ),
                        Series(
                            _("Upsell rate"),
                            [_float(row.upsell_rate) for _b, row in board.repeat.rows],
                        ),
                    ],
                    suffix="%",
                    top_value=100,
                )
            ],
        ),
        Section(
            "ladder",
            _("Loyalty ladder"),
            _(
                "New: at most 1 purchase. Returning: from the 2nd purchase. Loyal: from the 5th. "
                "Ambassador: someone they referred joined. Members only move up."
            ),
            ladder_table(board.ladder),
            [
                charts.bar_chart(
                    _("Members per ladder stage"),
                    _("Members on each rung of the loyalty ladder at the end of each period."),
                    end_labels,
                    [
                        Series(
                            str(STAGE_LABELS[stage]),
                            [counts[stage] for _b, counts in board.ladder.rows],
                        )
                        for stage in figures.STAGES
                    ],
                    stacked=True,
                )
            ],
            [("ladder-moves", _("Moved up during the period"), moves_table(board.ladder))],
        ),
        Section(
            "rfm",
            _("RFM grid"),
            _(
                "Recency and frequency scores (5 = best, fifths of all buying members), as "
                "scored last night; the table adds the mean monetary score."
            ),
            rfm_table(board.rfm),
            [
                charts.heat_grid(
                    _("Members per recency and frequency score"),
                    _("A 5 by 5 grid: recency score in rows, frequency score in columns."),
                    ["5", "4", "3", "2", "1"],
                    ["1", "2", "3", "4", "5"],
                    [
                        [
                            board.rfm.cells.get((recency, frequency), (0, None))[0]
                            for frequency in range(1, 6)
                        ]
                        for recency in range(5, 0, -1)
                    ],
                    row_axis=_("Recency"),
                    column_axis=_("Frequency"),
                )
            ],
        ),
        Section(
            "nps",
            _("NPS and customer loyalty index"),
            _(
                "From the survey answers given in the period. NPS: % promoters (9–10) minus % "
                "detractors (0–6). Loyalty index: the mean of the mean answers to 'would you "
                "recommend us', 'would you buy again' and 'would you try our other products'."
            ),
            nps_table(board.nps, board.loyalty_index),
            [
                charts.bar_chart(
                    _("Survey answers"),
                    _("Promoters, passives and detractors among the answers."),
                    [_("Promoters"), _("Passives"), _("Detractors")],
                    [
                        Series(
                            _("Answers"),
                            [board.nps.promoters, board.nps.passives, board.nps.detractors],
                        )
                    ],
                )
            ],
        ),
        Section(
            "csat",
            _("Customer satisfaction (CSAT)"),
            _(
                "From the answers to 'Are you satisfied with …?' (1–10) after a purchase, given "
                "in the period on the portal or through the link in a message. CSAT: the share "
                "of answers from 8 to 10; the mean answer beside it."
            ),
            csat_table(board.csat),
            [
                charts.bar_chart(
                    _("Satisfaction answers"),
                    _("Satisfied (8–10) and other answers in the period."),
                    [_("Satisfied (8–10)"), _("Other (1–7)")],
                    [
                        Series(
                            _("Answers"),
                            [board.csat.satisfied, board.csat.responses - board.csat.satisfied],
                        )
                    ],
                )
            ],
        ),
        Section(
            "attitude",
            _("Attitude and behaviour"),
            _(
                "Satisfaction is not loyalty. Members by their last NPS or satisfaction answer "
                "of the past year (satisfied: NPS 9–10 or CSAT 8–10; dissatisfied: NPS 0–6 or "
                "CSAT 1–5; neutral in between) and by what they do (loyal: on the loyal or "
                "ambassador rung of the ladder and still active). As of now, like the RFM grid. "
                "Segments can pick each cell as an automation audience."
            ),
            attitude_table(board.attitude),
            [
                charts.heat_grid(
                    _("Members per attitude and behaviour"),
                    _("Attitude in rows, behaviour in columns."),
                    [str(label) for _value, label in Attitude.choices],
                    [str(label) for _value, label in Behaviour.choices],
                    [
                        [board.attitude.count(attitude, behaviour) for behaviour in Behaviour]
                        for attitude in Attitude
                    ],
                    row_axis=_("Attitude"),
                    column_axis=_("Behaviour"),
                )
            ],
        ),
        Section(
            "reactivation",
            _("Reactivation offers"),
            _(
                "Offers of the dormant-member automations made in the period: messages sent, "
                "codes used, members who bought within the offer's validity and what they paid "
                "until it expired."
            ),
            reactivation_table(board.reactivation),
            [
                charts.bar_chart(
                    _("Reactivation offers"),
                    _("Per automation: offers made, members who came back and codes used."),
                    [row.name for row in board.reactivation.rows],
                    [
                        Series(_("Offers"), [row.offered for row in board.reactivation.rows]),
                        Series(_("Came back"), [row.came_back for row in board.reactivation.rows]),
                        Series(
                            _("Codes used"), [row.codes_used for row in board.reactivation.rows]
                        ),
                    ],
                )
            ],
        ),
        _uplift_section(board),
        Section(
            "liability",
            _("Full liability now"),
            _(
                "What members can still spend, in euros, today: points at the point value, "
                "pending points (inside a return window) at the point value, store credit, and "
                "unused valid codes at their value (a percentage code at the average purchase "
                "of the last year). Expected breakage: of the past year, the share of points "
                "that expired rather than being redeemed, of pending points cancelled by "
                "refunds rather than released (and then the points' breakage), and of codes "
                "that expired unused; store credit does not expire. Not filtered by the period."
            ),
            liability_table(board.liability),
            [
                charts.bar_chart(
                    _("Full liability"),
                    _("Outstanding and expected to be spent, per kind, in euros."),
                    [row.label for row in board.liability.rows],
                    [
                        Series(
                            _("Outstanding (€)"),
                            [float(row.outstanding) for row in board.liability.rows],
                        ),
                        Series(
                            _("Expected to be spent (€)"),
                            [float(row.expected) for row in board.liability.rows],
                            "#2f855a",
                        ),
                    ],
                )
            ],
        ),
    ]


def _uplift_section(board: figures.Dashboard) -> Section:
    uplift = board.uplift
    measured = [row for row in uplift.rows if row.enough_members]
    program_margin = measured[0].margin_percent if measured else None
    charts_ = []
    if measured:
        names = [row.name for row in measured]
        charts_ = [
            charts.bar_chart(
                _("Conversion: treated and held out"),
                _(
                    "Per automation and variant: the share of members who bought within the "
                    "offer's window, with the offer and without it (the holdout), in percent."
                ),
                names,
                [
                    Series(_("Treated"), [_float(row.treated.conversion_rate) for row in measured]),
                    Series(
                        _("Held out"),
                        [_float(row.holdout.conversion_rate) for row in measured],
                        "#a0aec0",
                    ),
                ],
                suffix="%",
            ),
            charts.interval_chart(
                _("Uplift in conversion, with its 95% interval"),
                _(
                    "Per automation and variant: how many percentage points more members "
                    "bought with the offer than without it; the line is the 95% interval. "
                    "Where it crosses zero the effect is not shown."
                ),
                names,
                [
                    (interval.estimate, interval.low, interval.high)
                    for interval in (row.conversion_uplift for row in measured)
                    if interval is not None
                ],
                suffix=" pp",
            ),
            charts.interval_chart(
                _("Uplift in revenue per member, with its 95% interval"),
                _(
                    "Per automation and variant: how many euros more each member spent with "
                    "the offer than without it, before its cost; the line is the 95% interval."
                ),
                names,
                [
                    (interval.estimate, interval.low, interval.high)
                    for interval in (row.revenue_uplift for row in measured)
                    if interval is not None
                ],
                suffix=" €",
                colour="#2f855a",
            ),
        ]
    explanation = _(
        "Automations with a holdout, for the offers made in the period: members who got the "
        "offer (messages sent) against members held out, who got nothing. Conversion: bought "
        "within the offer's window. The uplift is the difference with its 95%% interval "
        "(Newcombe for conversion, Welch for revenue per member); an interval that includes 0 "
        "means the offer's effect is not shown yet. Below %(count)s members in either group the "
        "report shows no rates."
    ) % {"count": uplift.min_members}
    explanation += " " + _(
        "Bonus campaigns with a holdout that started in the period, over their whole period: "
        "the members they were for at the start, those who got the campaign's points against "
        "those held out. Conversion: bought in the campaign's period. Their purchases are "
        "counted every hour while they run."
    )
    if program_margin is not None:
        explanation += " " + _(
            "Incremental margin: the incremental revenue times the margin (%(margin)s%%, "
            "programme settings) minus discounts, store credit and bonus points given."
        ) % {
            "margin": number_format(
                program_margin,
                decimal_pos=0 if program_margin == program_margin.to_integral() else 2,
            )
        }
    return Section(
        "uplift", _("Uplift of offers (holdout)"), explanation, uplift_table(uplift), charts_
    )


def _float(value) -> float | None:
    return None if value is None else float(value)
