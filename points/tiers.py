"""Reading tiers: the cached tier list, qualifying points (or spend), a member's progress.

A programme reaches tiers by qualifying points or by spend (`LoyaltyProgram.tier_basis`): the
same window, thresholds and downgrade grace; with spend a threshold is whole euros paid in the
window (purchase amounts after discounts, less what was refunded), counted down to the euro.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from core.bulk import in_window
from core.config_cache import cached_config, forget_config

from .dates import add_months
from .models import LoyaltyProgram, PointAccount, PointsEntry, Purchase, Tier, TierBasis

TIERS_CACHE_KEY = "points:tiers"


def tiers_all() -> list[Tier]:
    """All tiers, lowest rank first. Cached: read on every purchase, edited rarely."""
    return cached_config(TIERS_CACHE_KEY, lambda: list(Tier.objects.order_by("rank")))


def tiers_cache_clear() -> None:
    forget_config(TIERS_CACHE_KEY)


def tier_for_points(points: int, tiers: list[Tier] | None = None) -> Tier | None:
    reached = [
        tier for tier in (tiers if tiers is not None else tiers_all()) if tier.threshold <= points
    ]
    return reached[-1] if reached else None


def window_start(now: datetime.datetime) -> datetime.datetime | None:
    months = LoyaltyProgram.current().qualifying_window_months
    return add_months(now, -months) if months else None


def valid_until_from(now: datetime.datetime) -> datetime.datetime | None:
    months = LoyaltyProgram.current().qualifying_window_months
    return add_months(now, months) if months else None


def qualifying_entries(now: datetime.datetime):
    entries = PointsEntry.objects.filter(is_qualifying=True, effective_at__lte=now)
    start = window_start(now)
    return entries.filter(effective_at__gt=start) if start else entries


def qualifying_sum(*, filter: Q | None = None) -> Sum:  # noqa: A002 - Sum's own keyword
    """The sum of entries that makes qualifying points: with pending points when the programme
    says so (a pending EARN counts at once, its RELEASE adds nothing, a PENDING_CANCEL takes
    its share back), else spendable points only (the RELEASE counts)."""
    if LoyaltyProgram.current().tiers_count_pending_points:
        return Sum(F("points") + F("pending_points"), filter=filter)
    return Sum("points", filter=filter)


def qualifying_points_sql(account_column: str, now: datetime.datetime) -> tuple[str, list]:
    """`qualifying_entries(now)` summed with `qualifying_sum()`, as one SQL subquery over the
    entries of the account in `account_column` (a column, or a `%s` placeholder for the
    account's id as the first parameter): for hand-written queries on hot paths (the member
    summary, the upgrade check). Its tests compare it with the ORM form on every programme
    setting."""
    counted = (
        "e.points + e.pending_points"
        if LoyaltyProgram.current().tiers_count_pending_points
        else "e.points"
    )
    window, params = in_window("e.effective_at", now=now, start=window_start(now))
    sql = (
        f"SELECT SUM({counted}) FROM {PointsEntry._meta.db_table} e "
        f"WHERE e.account_id = {account_column} AND e.is_qualifying AND {window}"
    )
    return sql, params


def qualifying_points(account: PointAccount, *, now: datetime.datetime | None = None) -> int:
    """Points earned in the tier window (refunds of those purchases subtract).

    Checked at every qualifying credit (`tier_upgrade_if_qualified`), so read with the
    hand-written twin of `qualifying_entries` + `qualifying_sum`: the database sums a few
    index entries in a tenth of a millisecond, and building the same aggregate with the ORM
    was 8 % of a purchase's CPU (docs/performance.md)."""
    sql, params = qualifying_points_sql("%s", now or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [account.pk, *params])
        total = cursor.fetchone()[0]
    return max(0, int(total or 0))  # PostgreSQL sums a bigint as numeric


def tiers_by_spend() -> bool:
    return LoyaltyProgram.current().tier_basis == TierBasis.SPEND


def qualifying_purchases(now: datetime.datetime):
    """The purchases whose spend counts towards tiers now (the tier window)."""
    purchases = Purchase.objects.filter(occurred_at__lte=now)
    start = window_start(now)
    return purchases.filter(occurred_at__gt=start) if start else purchases


def spend_expression() -> ExpressionWrapper:
    """What a purchase adds to the tier spend: paid after discounts, less what was refunded."""
    return ExpressionWrapper(
        F("amount") - F("discount_total") - F("refunded_amount"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


def qualifying_spend_by_member(member_ids: list[int], now: datetime.datetime) -> dict[int, int]:
    """Whole euros spent in the tier window, per member (members without purchases absent)."""
    rows = (
        qualifying_purchases(now)
        .filter(member_id__in=member_ids)
        .values("member_id")
        .annotate(total=Sum(spend_expression()))
        .values_list("member_id", "total")
    )
    return {member_id: max(0, int(total or 0)) for member_id, total in rows}


def qualifying_value(account: PointAccount, *, now: datetime.datetime | None = None) -> int:
    """What tiers are reached with: qualifying points, or whole euros spent (programme setting)."""
    now = now or timezone.now()
    if tiers_by_spend():
        return qualifying_spend_by_member([account.member_id], now).get(account.member_id, 0)
    return qualifying_points(account, now=now)


@dataclass(frozen=True)
class TierEarningContext:
    tier_id: int | None = None
    multiplier: Decimal = Decimal("1")
    label: str = ""


def tier_by_id(tier_id: int | None) -> Tier | None:
    return next((tier for tier in tiers_all() if tier.pk == tier_id), None)


def tier_earning_context(account: PointAccount | None) -> TierEarningContext:
    tier = tier_by_id(account.tier_id) if account else None
    if tier is None:
        return TierEarningContext()
    return TierEarningContext(
        tier_id=tier.pk,
        multiplier=tier.earn_multiplier,
        label=f"{tier.translated('name')} ×{tier.earn_multiplier.normalize()}",
    )


@dataclass(frozen=True)
class TierProgress:
    tier: Tier | None
    next_tier: Tier | None
    qualifying_points: int  # whole euros when `by_spend`
    points_to_next_tier: int | None  # likewise
    valid_until: datetime.datetime | None
    by_spend: bool = False


def tier_progress(account: PointAccount | None, *, points: int | None = None) -> TierProgress:
    """Where the member stands; `points` = their qualifying points when already counted (ignored
    when tiers go by spend: then the euros spent in the window are counted here)."""
    tiers = tiers_all()
    by_spend = tiers_by_spend()
    if account is None or not tiers:
        return TierProgress(None, None, 0, None, None, by_spend)
    if points is None or by_spend:
        points = qualifying_value(account)
    current = tier_by_id(account.tier_id)
    rank = current.rank if current else 0
    next_tier = next((tier for tier in tiers if tier.rank > rank), None)
    return TierProgress(
        tier=current,
        next_tier=next_tier,
        qualifying_points=points,
        points_to_next_tier=max(0, next_tier.threshold - points) if next_tier else None,
        valid_until=account.tier_valid_until,
        by_spend=by_spend,
    )
