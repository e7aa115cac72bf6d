"""The KPI dashboard's tables: one per figure, shown beside its chart and downloaded as its
CSV export (`EXPORTS`)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from campaigns.attitude import Attitude, Behaviour
from campaigns.lifecycle import STAGE_LABELS
from insights import figures


@dataclass
class Table:
    header: list[str]
    rows: list[list] = field(default_factory=list)


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


def csat_table(csat: figures.Csat) -> Table:
    return Table(
        header=[
            _("Answers"),
            _("Satisfied (8–10)"),
            _("CSAT (satisfied, in %)"),
            _("Mean answer (1–10)"),
        ],
        rows=[[csat.responses, csat.satisfied, csat.score, csat.mean]],
    )


def attitude_table(grid: figures.AttitudeGrid) -> Table:
    return Table(
        header=[_("Attitude"), _("Loyal"), _("Not loyal"), _("Members")],
        rows=[
            [
                str(label),
                grid.count(attitude, Behaviour.LOYAL),
                grid.count(attitude, Behaviour.NOT_LOYAL),
                grid.count(attitude, Behaviour.LOYAL) + grid.count(attitude, Behaviour.NOT_LOYAL),
            ]
            for attitude, label in Attitude.choices
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


def _rounded(value, places: str = "0.1"):
    return None if value is None else Decimal(str(value)).quantize(Decimal(places))


def uplift_table(uplift: figures.Uplift) -> Table:
    """One row per automation with a holdout and per variant, and per bonus campaign with a
    holdout; '–' where the sample is too small (the note column says so)."""
    rows = []
    for row in uplift.rows:
        conversion, revenue = row.conversion_uplift, row.revenue_uplift
        rows.append(
            [
                row.name,
                row.treated.members,
                row.holdout.members,
                row.treated.conversion_rate if row.enough_members else None,
                row.holdout.conversion_rate if row.enough_members else None,
                _rounded(conversion and conversion.estimate),
                _rounded(conversion and conversion.low),
                _rounded(conversion and conversion.high),
                row.treated.revenue_per_member if row.enough_members else None,
                row.holdout.revenue_per_member if row.enough_members else None,
                _rounded(revenue and revenue.estimate, "0.01"),
                _rounded(revenue and revenue.low, "0.01"),
                _rounded(revenue and revenue.high, "0.01"),
                row.discount_cost,
                row.credit_cost,
                row.points_cost,
                row.incremental_revenue,
                row.incremental_margin,
                ""
                if row.enough_members
                else _("Not enough members yet: at least %(count)s in each group")
                % {"count": uplift.min_members},
            ]
        )
    return Table(
        header=[
            _("Automation / variant / bonus campaign"),
            _("Members treated"),
            _("Members held out"),
            _("Conversion treated (%)"),
            _("Conversion held out (%)"),
            _("Uplift in conversion (pp)"),
            _("95% interval from (pp)"),
            _("95% interval to (pp)"),
            _("Revenue per member treated (€)"),
            _("Revenue per member held out (€)"),
            _("Uplift per member (€)"),
            _("95% interval from (€)"),
            _("95% interval to (€)"),
            _("Discount cost (€)"),
            _("Store credit cost (€)"),
            _("Bonus points cost (€)"),
            _("Incremental revenue (€)"),
            _("Incremental margin (€)"),
            _("Note"),
        ],
        rows=rows,
    )


def liability_table(liability: figures.Liability) -> Table:
    return Table(
        header=[
            _("Liability"),
            _("Quantity"),
            _("Outstanding (€)"),
            _("Expected breakage (%)"),
            _("Expected to be spent (€)"),
        ],
        rows=[
            [row.label, row.quantity, row.outstanding, row.breakage_percent, row.expected]
            for row in liability.rows
        ]
        + [[_("Total"), None, liability.outstanding, None, liability.expected]],
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
    "csat": lambda f: csat_table(figures.csat(f)),
    "attitude": lambda f: attitude_table(figures.attitude_grid(f)),
    "reactivation": lambda f: reactivation_table(figures.reactivation(f)),
    "uplift": lambda f: uplift_table(figures.uplift(f)),
    "liability": lambda f: liability_table(figures.liability()),
}
