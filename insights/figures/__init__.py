"""The KPI figures: plain, typed functions of a period and a store/channel filter.

Every figure is aggregated in the database. Member figures come from the summaries that
`services.kpi_summaries_refresh()` rebuilds nightly (so they are as of that rebuild); points
figures add the ledger entries written since the rebuild; survey and reactivation figures are
read live (small, indexed tables). Definitions: docs/kpis.md and the README.

A store or channel filter means the members who enrolled at that store (or a store of that
channel): their points, tiers, purchases, answers and offers, wherever they happened.

One module per section of the dashboard: `series` (the filter, its buckets and the daily
summaries every figure over time starts from), `points`, `members` (tiers, activity, churn,
repeat purchases), `ladder`, `rfm`, `surveys` (NPS, loyalty index, CSAT), `attitude`
(attitude × behaviour), `reactivation`, and `dashboard` (all of them at once). Import the
figures from here.
"""

from campaigns.lifecycle import STAGES

from .attitude import AttitudeGrid, attitude_grid
from .dashboard import Dashboard, dashboard
from .ladder import Ladder, ladder
from .liability import Liability, LiabilityRow, liability
from .members import (
    Activity,
    ActivityCounts,
    Churn,
    Repeat,
    RepeatFigures,
    TierCounts,
    activity,
    churn,
    members_by_tier,
    repeat_purchases,
)
from .points import EXPIRED, ISSUED, REDEEMED, PointsBucket, PointsFlow, money, points_flow
from .reactivation import PAID, Reactivation, ReactivationRow, reactivation
from .rfm import RfmGrid, rfm_grid
from .series import (
    CENTS,
    ONE_DECIMAL,
    WEEKS_UP_TO_DAYS,
    Bucket,
    DailySeries,
    KpiFilter,
    daily_series,
    latest_refresh,
    mean,
    percent,
)
from .surveys import Csat, LoyaltyIndex, Nps, csat, loyalty_index, nps
from .uplift import MIN_MEMBERS, Uplift, UpliftRow, uplift

__all__ = [
    "AttitudeGrid",
    "Csat",
    "attitude_grid",
    "csat",
    "Activity",
    "ActivityCounts",
    "Bucket",
    "CENTS",
    "Churn",
    "DailySeries",
    "Dashboard",
    "EXPIRED",
    "ISSUED",
    "KpiFilter",
    "Ladder",
    "Liability",
    "LiabilityRow",
    "LoyaltyIndex",
    "MIN_MEMBERS",
    "Nps",
    "ONE_DECIMAL",
    "PAID",
    "PointsBucket",
    "PointsFlow",
    "REDEEMED",
    "Reactivation",
    "ReactivationRow",
    "Repeat",
    "RepeatFigures",
    "RfmGrid",
    "STAGES",
    "TierCounts",
    "Uplift",
    "UpliftRow",
    "WEEKS_UP_TO_DAYS",
    "activity",
    "churn",
    "daily_series",
    "dashboard",
    "ladder",
    "latest_refresh",
    "liability",
    "loyalty_index",
    "mean",
    "members_by_tier",
    "money",
    "nps",
    "percent",
    "points_flow",
    "reactivation",
    "repeat_purchases",
    "rfm_grid",
    "uplift",
]
