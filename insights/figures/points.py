"""Points issued, redeemed, expired and taken back, and the outstanding liability."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from points.models import LoyaltyProgram

from .series import CENTS, Bucket, DailySeries, KpiFilter, daily_series

ISSUED = ("points:earn:+", "points:activity:+", "points:bonus:+", "points:adjustment:+")
REDEEMED = ("points:redemption:-", "points:redemption_reversal:+")
EXPIRED = ("points:expiry:-",)


@dataclass(frozen=True)
class PointsBucket:
    bucket: Bucket
    issued: int
    redeemed: int
    expired: int
    taken_back: int  # refunds and negative staff corrections
    outstanding: int  # at the end of the bucket
    liability: Decimal


@dataclass(frozen=True)
class PointsFlow:
    point_value: Decimal
    outstanding_at_start: int
    rows: list[PointsBucket]

    @property
    def issued(self) -> int:
        return sum(row.issued for row in self.rows)

    @property
    def redeemed(self) -> int:
        return sum(row.redeemed for row in self.rows)

    @property
    def expired(self) -> int:
        return sum(row.expired for row in self.rows)

    @property
    def taken_back(self) -> int:
        return sum(row.taken_back for row in self.rows)

    @property
    def outstanding(self) -> int:
        return self.rows[-1].outstanding if self.rows else self.outstanding_at_start

    @property
    def liability(self) -> Decimal:
        return money(self.outstanding * self.point_value)


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENTS, ROUND_HALF_UP)


def points_flow(kpi_filter: KpiFilter, *, series: DailySeries | None = None) -> PointsFlow:
    """Points issued, redeemed (net of undone redemptions), expired and taken back per bucket,
    and the outstanding points and their value (the liability) at each bucket end."""
    series = series or daily_series(kpi_filter, prefix="points:")
    point_value = LoyaltyProgram.current().point_value
    keys = sorted(series.keys("points:"))
    outstanding = sum(series.at_start(key) for key in keys)
    opening, rows = outstanding, []
    for index, bucket in enumerate(series.buckets):
        change = {key: series.per_bucket(key)[index] for key in keys}
        issued = sum(change.get(key, 0) for key in ISSUED)
        redeemed = -sum(change.get(key, 0) for key in REDEEMED)
        expired = -sum(change.get(key, 0) for key in EXPIRED)
        net = sum(change.values())
        outstanding += net
        rows.append(
            PointsBucket(
                bucket=bucket,
                issued=issued,
                redeemed=redeemed,
                expired=expired,
                taken_back=issued - redeemed - expired - net,
                outstanding=outstanding,
                liability=money(outstanding * point_value),
            )
        )
    return PointsFlow(point_value=point_value, outstanding_at_start=opening, rows=rows)
