"""Member figures (last purchase, count, spend, RFM) kept beside the purchases."""

from collections.abc import Callable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from points.models import Purchase, Refund

from ..models import MemberStats

FIRST = "first"
FIRST_AGAIN = "again"  # the member's earlier purchases were all refunded in full


def member_stats_record_purchase(purchase: Purchase) -> str | None:
    """Inside the purchase's transaction (the member's account is locked, so no race).

    One UPDATE in the usual case, an INSERT for a first purchase. Returns FIRST for the
    member's first purchase, FIRST_AGAIN for the first one that counts after all earlier ones
    were refunded in full, else None.
    """
    spend = purchase.amount - purchase.discount_total
    changes = {
        "purchase_count": F("purchase_count") + 1,
        "total_spend": F("total_spend") + spend,
        "last_purchase_at": Greatest("last_purchase_at", Value(purchase.occurred_at)),
        "first_purchase_at": Least("first_purchase_at", Value(purchase.occurred_at)),
    }
    stats = MemberStats.objects.filter(member_id=purchase.member_id)
    if stats.filter(purchase_count__gt=0).update(**changes):
        return None
    if stats.update(**changes):
        return FIRST_AGAIN
    MemberStats.objects.create(
        member_id=purchase.member_id,
        purchase_count=1,
        total_spend=spend,
        first_purchase_at=purchase.occurred_at,
        last_purchase_at=purchase.occurred_at,
    )
    return FIRST


def member_stats_record_refund(refund: Refund, *, completes_purchase: bool = False) -> None:
    """Less spend; a purchase refunded in full no longer counts as a purchase."""
    changes = {"total_spend": Greatest(F("total_spend") - refund.amount, Value(Decimal("0.00")))}
    if completes_purchase:
        changes["purchase_count"] = Greatest(F("purchase_count") - 1, Value(0))
    MemberStats.objects.filter(member_id=refund.purchase.member_id).update(**changes)


_REBUILD = """
INSERT INTO campaigns_memberstats
    (member_id, first_purchase_at, last_purchase_at, purchase_count, total_spend)
SELECT member_id, MIN(occurred_at), MAX(occurred_at),
       -- purchases refunded in full do not count (campaigns.services.stats)
       SUM(CASE WHEN refunded_amount > 0 AND refunded_amount >= amount - discount_total
           THEN 0 ELSE 1 END),
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
    with transaction.atomic(durable=True), connection.cursor() as cursor:
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
