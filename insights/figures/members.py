"""Members: per tier, active and dormant, churn, repeat purchases and upsell."""

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from points.models import LoyaltyProgram, Tier

from ..models import ActivitySpell
from .series import (
    Bucket,
    DailySeries,
    KpiFilter,
    daily_series,
    latest_refresh,
    percent,
)


@dataclass(frozen=True)
class TierCounts:
    tiers: list[Tier]
    at_start: dict[int, int]
    rows: list[tuple[Bucket, dict[int, int]]]  # members per tier id at each bucket end


def members_by_tier(kpi_filter: KpiFilter, *, series: DailySeries | None = None) -> TierCounts:
    series = series or daily_series(kpi_filter, prefix="tier:")
    tiers = list(Tier.objects.order_by("rank"))
    at_ends = {tier.pk: series.at_bucket_ends(f"tier:{tier.pk}") for tier in tiers}
    return TierCounts(
        tiers=tiers,
        at_start={tier.pk: series.at_start(f"tier:{tier.pk}") for tier in tiers},
        rows=[
            (bucket, {tier.pk: at_ends[tier.pk][index] for tier in tiers})
            for index, bucket in enumerate(series.buckets)
        ],
    )


@dataclass(frozen=True)
class ActivityCounts:
    members: int
    active: int  # bought within the dormant threshold
    dormant: int  # bought before, not within the threshold
    never_bought: int


@dataclass(frozen=True)
class Activity:
    dormant_after_days: int
    at_start: ActivityCounts
    rows: list[tuple[Bucket, ActivityCounts]]

    @property
    def at_end(self) -> ActivityCounts:
        return self.rows[-1][1]


def _activity_counts(members: int, bought: int, active: int) -> ActivityCounts:
    # campaigns.lifecycle: a buyer is active or dormant; a member who never bought is neither.
    return ActivityCounts(
        members=members, active=active, dormant=bought - active, never_bought=members - bought
    )


def activity(kpi_filter: KpiFilter, *, series: DailySeries | None = None) -> Activity:
    """Active and dormant members at the start and at each bucket end."""
    series = series or daily_series(kpi_filter, prefix="")
    members, bought, active = (
        series.at_bucket_ends("members"),
        series.at_bucket_ends("bought"),
        series.at_bucket_ends("active"),
    )
    refresh = latest_refresh()
    return Activity(
        dormant_after_days=(
            refresh.dormant_after_days if refresh else LoyaltyProgram.current().dormant_after_days
        ),
        at_start=_activity_counts(
            series.at_start("members"), series.at_start("bought"), series.at_start("active")
        ),
        rows=[
            (bucket, _activity_counts(members[index], bought[index], active[index]))
            for index, bucket in enumerate(series.buckets)
        ],
    )


@dataclass(frozen=True)
class Churn:
    members_at_start: int  # active at the end of the day before the period
    lost: int  # of those, crossed the dormant threshold during the period
    rate: Decimal | None


def churn(
    kpi_filter: KpiFilter,
    *,
    series: DailySeries | None = None,
    today: datetime.date | None = None,
) -> Churn:
    """Members lost in the period ÷ members at its start × 100, where "lost" means an active
    member crossed the dormant threshold (no purchase for N days) during the period."""
    series = series or daily_series(kpi_filter, prefix="active")
    today = today or _today()
    last_day = min(kpi_filter.end, today)
    lost = ActivitySpell.objects.filter(
        kpi_filter.summary_scope(),
        started_on__lte=kpi_filter.day_before,
        dormant_on__gte=kpi_filter.start,
        dormant_on__lte=last_day,
    ).count()
    at_start = series.at_start("active")
    return Churn(members_at_start=at_start, lost=lost, rate=percent(lost, at_start))


def _today() -> datetime.date:
    return datetime.datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


@dataclass(frozen=True)
class RepeatFigures:
    buyers: int  # members who ever bought, up to the moment
    repeat_buyers: int  # of those, with 2 or more purchases
    upsell_buyers: int  # of the repeat buyers, who bought a category new to them
    repeat_rate: Decimal | None
    upsell_rate: Decimal | None


def _repeat(buyers: int, repeat_buyers: int, upsell_buyers: int) -> RepeatFigures:
    return RepeatFigures(
        buyers=buyers,
        repeat_buyers=repeat_buyers,
        upsell_buyers=upsell_buyers,
        repeat_rate=percent(repeat_buyers, buyers),
        upsell_rate=percent(upsell_buyers, repeat_buyers),
    )


@dataclass(frozen=True)
class Repeat:
    at_start: RepeatFigures
    rows: list[tuple[Bucket, RepeatFigures]]
    new_repeat_buyers: int  # made their 2nd purchase in the period
    new_upsell_buyers: int  # bought a category new to them in the period

    @property
    def at_end(self) -> RepeatFigures:
        return self.rows[-1][1]


def repeat_purchases(kpi_filter: KpiFilter, *, series: DailySeries | None = None) -> Repeat:
    """Repeat-purchase rate (members with 2+ purchases ÷ members with 1+) and upsell rate
    (repeat buyers who, after their first purchase, bought a category they had never bought ÷
    repeat buyers), counting every purchase up to the moment."""
    series = series or daily_series(kpi_filter, prefix="")
    ends = [series.at_bucket_ends(key) for key in ("bought", "repeat", "upsell")]
    return Repeat(
        at_start=_repeat(*(series.at_start(key) for key in ("bought", "repeat", "upsell"))),
        rows=[
            (bucket, _repeat(ends[0][index], ends[1][index], ends[2][index]))
            for index, bucket in enumerate(series.buckets)
        ],
        new_repeat_buyers=series.in_period("repeat"),
        new_upsell_buyers=series.in_period("upsell"),
    )
