"""Every figure of the dashboard at once."""

from dataclasses import dataclass

from ..models import KpiRefresh
from .attitude import AttitudeGrid, attitude_grid
from .ladder import Ladder, ladder
from .liability import Liability, liability
from .members import (
    Activity,
    Churn,
    Repeat,
    TierCounts,
    activity,
    churn,
    members_by_tier,
    repeat_purchases,
)
from .points import PointsFlow, points_flow
from .reactivation import Reactivation, reactivation
from .rfm import RfmGrid, rfm_grid
from .series import KpiFilter, daily_series, latest_refresh
from .surveys import Csat, LoyaltyIndex, Nps, csat, loyalty_index, nps
from .uplift import Uplift, uplift


@dataclass(frozen=True)
class Dashboard:
    kpi_filter: KpiFilter
    refresh: KpiRefresh | None
    points: PointsFlow
    tiers: TierCounts
    activity: Activity
    churn: Churn
    repeat: Repeat
    ladder: Ladder
    rfm: RfmGrid
    nps: Nps
    loyalty_index: LoyaltyIndex
    csat: Csat
    attitude: AttitudeGrid
    reactivation: Reactivation
    uplift: Uplift
    liability: Liability


def dashboard(kpi_filter: KpiFilter) -> Dashboard:
    """All figures of the dashboard; the daily summaries are read once for all of them."""
    refresh = latest_refresh()
    series = daily_series(kpi_filter, refresh=refresh)
    return Dashboard(
        kpi_filter=kpi_filter,
        refresh=refresh,
        points=points_flow(kpi_filter, series=series),
        tiers=members_by_tier(kpi_filter, series=series),
        activity=activity(kpi_filter, series=series),
        churn=churn(kpi_filter, series=series),
        repeat=repeat_purchases(kpi_filter, series=series),
        ladder=ladder(kpi_filter, series=series),
        rfm=rfm_grid(kpi_filter),
        nps=nps(kpi_filter),
        loyalty_index=loyalty_index(kpi_filter),
        csat=csat(kpi_filter),
        attitude=attitude_grid(kpi_filter),
        reactivation=reactivation(kpi_filter),
        uplift=uplift(kpi_filter),
        liability=liability(),
    )
