"""Did the offer work? A purchase within the offer's validity converts open deliveries: sent
ones, and held-out ones (the control group) over the same window."""

from django.db.models import Q

from core import webhooks
from points.models import Purchase, ScoreSource
from points.services import score_record

from ..models import Delivery


def conversions_record(purchase: Purchase) -> int:
    """Inside the purchase's transaction: one indexed read, and one UPDATE when something
    converted (with a `delivery.converted` webhook and a loyalty-score entry each). Returns how
    many converted."""
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
