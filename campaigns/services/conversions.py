"""Did the offer work? A purchase within the offer's validity converts open deliveries: sent
ones, and held-out ones (the control group) over the same window.

Each converted delivery also keeps its window revenue: what the member spent (after refunds) from
the conversion to the end of the offer window, the figure the uplift report sums (docs/kpis.md
"Uplift"). It is kept in the transaction of the purchase or refund, with F() updates.

Lock order (docs/architecture.md): a purchase or refund locks the member's deliveries whose
offer window holds the purchase (`deliveries_lock_in_window`, a lock prelude the points app runs
before it locks the point account), and its conversions and window revenue then change those
rows only, so no delivery lock is ever requested while the account is held. Purchases and
refunds of one member still queue on these rows and on the point account, so none is missed."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core import webhooks
from points.models import Purchase, Refund, ScoreSource
from points.services import score_record

from ..models import Delivery

# The name campaigns' lock prelude is registered under (`points.extensions`).
LOCK_PRELUDE = "campaigns.offer_windows"


@dataclass(frozen=True)
class WindowDelivery:
    """A delivery of the member locked because its offer window holds the purchase."""

    pk: int
    automation_id: int
    status: str
    converted_at: datetime.datetime | None


def deliveries_lock_in_window(
    member_id: int, occurred_at: datetime.datetime
) -> list[WindowDelivery]:
    """Locks (`FOR NO KEY UPDATE`, pk order) the member's deliveries created by `occurred_at`
    whose offer window is still open then: every row a purchase at that time may convert or add
    to, and every row a refund of such a purchase takes off. One indexed read; run before the
    point account is locked."""
    return [
        WindowDelivery(*row)
        for row in Delivery.objects.filter(
            member_id=member_id,
            created_at__lte=occurred_at,
            offer_expires_at__gte=occurred_at,
        )
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", "automation_id", "status", "converted_at")
    ]


def conversions_record(purchase: Purchase, locked: list[WindowDelivery] | None = None) -> int:
    """Inside the purchase's transaction, on the deliveries `deliveries_lock_in_window` locked
    (it locks them itself when not given): one UPDATE adding the purchase to the window revenue
    of the deliveries converted before it, and one UPDATE when something converted (with a
    `delivery.converted` webhook and a loyalty-score entry each). Returns how many converted."""
    if locked is None:
        locked = deliveries_lock_in_window(purchase.member_id, purchase.occurred_at)
    _window_revenue_add(
        locked,
        occurred_at=purchase.occurred_at,
        amount=purchase.amount - purchase.refunded_amount,
    )
    converted = [
        (delivery.pk, delivery.automation_id)
        for delivery in locked
        # Only offers that reached the member, and the holdout that is measured alike: a
        # skipped delivery (no consent, no stock, no message) never counts as a win.
        if delivery.converted_at is None
        and delivery.status in (Delivery.Status.SENT, Delivery.Status.HELD_OUT)
    ]
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


def conversions_record_refund(refund: Refund, locked: list[WindowDelivery] | None = None) -> int:
    """Inside the refund's transaction: takes the refund off the window revenue of the member's
    deliveries whose window holds the refunded purchase (those `deliveries_lock_in_window`
    locked; it locks them itself when not given). Returns how many."""
    purchase = refund.purchase
    if locked is None:
        locked = deliveries_lock_in_window(purchase.member_id, purchase.occurred_at)
    return _window_revenue_add(locked, occurred_at=purchase.occurred_at, amount=-refund.amount)


def _window_revenue_add(
    locked: list[WindowDelivery], *, occurred_at: datetime.datetime, amount: Decimal
) -> int:
    """Adds `amount` to those locked deliveries converted at or before `occurred_at` (any
    status: the report chooses which count); their offer window holds it, or they were not
    locked."""
    pks = [
        delivery.pk
        for delivery in locked
        if delivery.converted_at is not None and delivery.converted_at <= occurred_at
    ]
    if not amount or not pks:
        return 0
    return Delivery.objects.filter(pk__in=pks).update(window_revenue=F("window_revenue") + amount)


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
