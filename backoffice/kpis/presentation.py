"""The KPI dashboard as staff see it: the filter form, a table per figure (also its CSV export)
and a chart per figure. Thin: the numbers come from `figures`."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Store
from campaigns.lifecycle import STAGE_LABELS
from insights import figures

from . import charts
from .charts import Series

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
class Table:
    header: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class Section:
    slug: str  # also the CSV export's name
    title: str
    explanation: str
    table: Table
    charts: list[SafeString] = field(default_factory=list)
    extra_tables: list[tuple[str, str, Table]] = field(default_factory=list)  # (slug, title, table)


def _labels(buckets) -> list[str]:
    return [bucket.label for bucket in buckets]


# --- one table per figure (the CSV exports read the same tables) --------------------------------


def points_table(flow: figures.PointsFlow) -> Table:
    return Table(
        header=[
            _("Period from"),
            _("Period to"),
            _("Points issued"),
            _("Points redeemed"),
            _("Points expired"),
            _("Points taken back"),
            _("Outstanding points at the end"),
            _("Liability at the end (€)"),
        ],
        rows=[
            [
                row.bucket.start,
                row.bucket.end,
                row.issued,
                row.redeemed,
                row.expired,
                row.taken_back,
                row.outstanding,
                row.liability,
            ]
            for row in flow.rows
        ],
    )


def tiers_table(tiers: figures.TierCounts) -> Table:
    return Table(
        header=[_("On"), *[str(tier) for tier in tiers.tiers]],
        rows=[
            [bucket.end, *[counts[tier.pk] for tier in tiers.tiers]]
            for bucket, counts in tiers.rows
        ],
    )


def activity_table(activity: figures.Activity) -> Table:
    return Table(
        header=[_("On"), _("Members"), _("Active"), _("Dormant"), _("Never bought")],
        rows=[
            [bucket.end, counts.members, counts.active, counts.dormant, counts.never_bought]
            for bucket, counts in activity.rows
        ],
    )


def churn_table(churn: figures.Churn, kpi_filter: figures.KpiFilter) -> Table:
    return Table(
        header=[_("From"), _("To"), _("Members at the start"), _("Lost"), _("Churn rate (%)")],
        rows=[[kpi_filter.start, kpi_filter.end, churn.members_at_start, churn.lost, churn.rate]],
    )


def repeat_table(repeat: figures.Repeat) -> Table:
    return Table(
        header=[
            _("On"),
            _("Members who bought"),
            _("With 2+ purchases"),
            _("Repeat-purchase rate (%)"),
            _("Bought something new"),
            _("Upsell rate (%)"),
        ],
        rows=[
            [
                bucket.end,
                row.buyers,
                row.repeat_buyers,
                row.repeat_rate,
                row.upsell_buyers,
                row.upsell_rate,
            ]
            for bucket, row in repeat.rows
        ],
    )


def ladder_table(ladder: figures.Ladder) -> Table:
    stages = list(figures.STAGES)
    return Table(
        header=[_("On"), *[str(STAGE_LABELS[stage]) for stage in stages]],
        rows=[[bucket.end, *[counts[stage] for stage in stages]] for bucket, counts in ladder.rows],
    )


def moves_table(ladder: figures.Ladder) -> Table:
    rank = {stage: index for index, stage in enumerate(["", *figures.STAGES])}
    return Table(
        header=[_("From"), _("To"), _("Members")],
        rows=[
            [str(STAGE_LABELS[before]), str(STAGE_LABELS[after]), members]
            for (before, after), members in sorted(
                ladder.moves.items(), key=lambda item: (rank[item[0][0]], rank[item[0][1]])
            )
        ],
    )


def rfm_table(grid: figures.RfmGrid) -> Table:
    return Table(
        header=[_("Recency score"), _("Frequency score"), _("Members"), _("Mean monetary score")],
        rows=[
            [recency, frequency, *grid.cells.get((recency, frequency), (0, None))]
            for recency in range(5, 0, -1)
            for frequency in range(1, 6)
        ],
    )


def nps_table(nps: figures.Nps, index: figures.LoyaltyIndex) -> Table:
    return Table(
        header=[
            _("Answers"),
            _("Promoters (9–10)"),
            _("Passives (7–8)"),
            _("Detractors (0–6)"),
            _("NPS"),
            _("Would recommend (mean)"),
            _("Would buy again (mean)"),
            _("Would try new products (mean)"),
            _("Customer loyalty index"),
        ],
        rows=[
            [
                nps.responses,
                nps.promoters,
                nps.passives,
                nps.detractors,
                nps.score,
                index.recommend,
                index.repurchase,
                index.try_new,
                index.index,
            ]
        ],
    )


def reactivation_table(reactivation: figures.Reactivation) -> Table:
    rows = [*reactivation.rows, reactivation.total] if reactivation.rows else []
    return Table(
        header=[
            _("Automation"),
            _("Offers"),
            _("Messages sent"),
            _("Codes used"),
            _("Members who came back"),
            _("Revenue after the offer (€)"),
        ],
        rows=[
            [row.name, row.offered, row.sent, row.codes_used, row.came_back, row.revenue]
            for row in rows
        ],
    )


# What each CSV export computes: only the figure it needs.
EXPORTS: dict[str, Callable[[figures.KpiFilter], Table]] = {
    "points": lambda f: points_table(figures.points_flow(f)),
    "tiers": lambda f: tiers_table(figures.members_by_tier(f)),
    "activity": lambda f: activity_table(figures.activity(f)),
    "churn": lambda f: churn_table(figures.churn(f), f),
    "repeat": lambda f: repeat_table(figures.repeat_purchases(f)),
    "ladder": lambda f: ladder_table(figures.ladder(f)),
    "ladder-moves": lambda f: moves_table(figures.ladder(f)),
    "rfm": lambda f: rfm_table(figures.rfm_grid(f)),
    "nps": lambda f: nps_table(figures.nps(f), figures.loyalty_index(f)),
    "reactivation": lambda f: reactivation_table(figures.reactivation(f)),
}


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
        Tile(_("Customer loyalty index"), board.loyalty_index.index, _("1–10")),
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
    ]


def _float(value) -> float | None:
    return None if value is None else float(value)
