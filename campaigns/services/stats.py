"""Member figures (last purchase, count, spend, RFM) kept beside the purchases."""

from collections.abc import Callable
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from points.models import Purchase, Refund

from ..models import MemberStats


def member_stats_record_purchase(purchase: Purchase) -> None:
    """Inside the purchase's transaction (the member's account is locked, so no race)."""
    stats, _created = MemberStats.objects.get_or_create(member_id=purchase.member_id)
    stats.purchase_count += 1
    stats.total_spend += purchase.amount - purchase.discount_total
    if stats.last_purchase_at is None or purchase.occurred_at > stats.last_purchase_at:
        stats.last_purchase_at = purchase.occurred_at
    if stats.first_purchase_at is None or purchase.occurred_at < stats.first_purchase_at:
        stats.first_purchase_at = purchase.occurred_at
    stats.save()


def member_stats_record_refund(refund: Refund) -> None:
    stats = MemberStats.objects.filter(member_id=refund.purchase.member_id).first()
    if stats is not None:
        stats.total_spend = max(Decimal("0.00"), stats.total_spend - refund.amount)
        stats.save(update_fields=["total_spend"])


_REBUILD = """
INSERT INTO campaigns_memberstats
    (member_id, first_purchase_at, last_purchase_at, purchase_count, total_spend)
SELECT member_id, MIN(occurred_at), MAX(occurred_at), COUNT(*),
       SUM(amount - discount_total - refunded_amount)
FROM points_purchase
GROUP BY member_id
ON CONFLICT (member_id) DO UPDATE SET
    first_purchase_at = excluded.first_purchase_at,
    last_purchase_at = excluded.last_purchase_at,
    purchase_count = excluded.purchase_count,
    total_spend = excluded.total_spend
"""

# Quintiles over purchasing members, 5 = best: most recent, most often, most spent.
_RFM = """
UPDATE campaigns_memberstats
SET recency_score = scored.r, frequency_score = scored.f, monetary_score = scored.m,
    rfm_computed_at = %s
FROM (
    SELECT member_id,
           NTILE(5) OVER (ORDER BY last_purchase_at, member_id) AS r,
           NTILE(5) OVER (ORDER BY purchase_count, member_id) AS f,
           NTILE(5) OVER (ORDER BY total_spend, member_id) AS m
    FROM campaigns_memberstats
    WHERE purchase_count > 0
) AS scored
WHERE campaigns_memberstats.member_id = scored.member_id
"""


def member_stats_refresh(
    *, rebuild: bool = True, progress: Callable[[str], None] | None = None
) -> int:
    """Recomputes the figures from the purchases (set-based) and the RFM scores. Returns how
    many members were scored."""
    with transaction.atomic(), connection.cursor() as cursor:
        if rebuild:
            cursor.execute(_REBUILD)
            if progress:
                progress(f"purchase figures rebuilt for {cursor.rowcount} members")
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(_RFM, [now])
        scored = cursor.rowcount
        if progress:
            progress(f"RFM scores computed for {scored} members")
    return scored
