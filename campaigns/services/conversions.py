"""Did the offer work? A purchase within the offer's validity converts open deliveries."""

from django.db.models import Q

from points.models import Purchase

from ..models import Delivery


def conversions_record(purchase: Purchase) -> int:
    """One indexed UPDATE inside the purchase's transaction. Returns how many converted."""
    return (
        Delivery.objects.filter(
            member_id=purchase.member_id,
            converted_at__isnull=True,
            created_at__lte=purchase.occurred_at,
            status__in=[Delivery.Status.SENT, Delivery.Status.SKIPPED],
        )
        .filter(Q(offer_expires_at__gte=purchase.occurred_at))
        .update(converted_at=purchase.occurred_at, converted_purchase=purchase)
    )
