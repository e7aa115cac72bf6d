"""Did the offer work? A purchase within the offer's validity converts open deliveries: sent
ones, and held-out ones (the control group) over the same window.

Each converted delivery also keeps its window revenue: what the member spent (after refunds) from
the conversion to the end of the offer window, the figure the uplift report sums (docs/kpis.md
"Uplift"). It is kept in the transaction of the purchase or refund, with F() updates: purchases
and refunds of one member wait on their point account (docs/architecture.md "Lock order"), so
none is missed."""

from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core import webhooks
from points.models import Purchase, Refund, ScoreSource
from points.services import score_record

from ..models import Delivery


def conversions_record(purchase: Purchase) -> int:
    """Inside the purchase's transaction: one indexed read, and one UPDATE when something
    converted (with a `delivery.converted` webhook and a loyalty-score entry each); one UPDATE
    adding the purchase to the window revenue of the deliveries converted before it. Returns how
    many converted."""
    _window_revenue_add(
        member_id=purchase.member_id,
        occurred_at=purchase.occurred_at,
        amount=purchase.amount - purchase.refunded_amount,
    )
    converted = list(
        Delivery.objects.filter(
            member_id=purchase.member_id,
            converted_at__isnull=True,
            created_at__lte=purchase.occurred_at,
            # Only offers that reached the member, and the holdout that is measured alike: a
            # skipped delivery (no consent, no stock, no message) never counts as a win.
            status__in=[Delivery.Status.SENT, Delivery.Status.HELD_OUT],
        )
        .filter(Q(offer_expires_at__gte=purchase.occurred_at))
        .values_list("pk", "automation_id")
    )
    if not converted:
        return 0
    Delivery.objects.filter(pk__in=[pk for pk, _automation in converted]).update(
        converted_at=purchase.occurred_at, converted_purchase=purchase
    )
    # Counted from the purchases themselves (this one and any recorded before it, with a later
    # time, within the window): the same sum the backfill made.
    window_revenue_refresh(Delivery.objects.filter(pk__in=[pk for pk, _a in converted]))
    for pk, _automation in converted:
        score_record(
            member_id=purchase.member_id,
            source=ScoreSource.CAMPAIGN_RESPONSE,
            source_key=f"conversion:{pk}",
            occurred_at=purchase.occurred_at,
        )
    webhooks.emit_many(
        "delivery.converted",
        [
            (
                purchase.member_id,
                {
                    "delivery_id": pk,
                    "automation_id": automation_id,
                    "transaction_id": purchase.transaction_id,
                },
            )
            for pk, automation_id in converted
        ],
    )
    return len(converted)


def conversions_record_refund(refund: Refund) -> int:
    """Inside the refund's transaction: takes the refund off the window revenue of the member's
    deliveries whose window holds the refunded purchase. Returns how many."""
    purchase = refund.purchase
    return _window_revenue_add(
        member_id=purchase.member_id, occurred_at=purchase.occurred_at, amount=-refund.amount
    )


def _window_revenue_add(*, member_id: int, occurred_at, amount: Decimal) -> int:
    """Adds `amount` to the deliveries of the member converted at or before `occurred_at` whose
    offer window had not ended by then (any status: the report chooses which count)."""
    if not amount:
        return 0
    return Delivery.objects.filter(
        member_id=member_id,
        converted_at__isnull=False,
        converted_at__lte=occurred_at,
        offer_expires_at__gte=occurred_at,
    ).update(window_revenue=F("window_revenue") + amount)


_MONEY = DecimalField(max_digits=12, decimal_places=2)


def window_revenue_refresh(deliveries) -> int:
    """Recounts the window revenue of these deliveries from the purchases, in one UPDATE (at a
    conversion, and after a member merge moved purchases between members)."""
    spent = (
        Purchase.objects.filter(
            member_id=OuterRef("member_id"),
            occurred_at__gte=OuterRef("converted_at"),
            occurred_at__lte=OuterRef("offer_expires_at"),
        )
        .order_by()
        .values("member_id")
        .annotate(total=Sum(F("amount") - F("refunded_amount"), output_field=_MONEY))
        .values("total")
    )
    return deliveries.filter(converted_at__isnull=False).update(
        window_revenue=Coalesce(Subquery(spent, output_field=_MONEY), Value(Decimal("0")))
    )
