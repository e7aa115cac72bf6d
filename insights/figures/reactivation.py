"""Reactivation offers (the dormant trigger): offers, messages, codes used, revenue after."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext as _

from campaigns.models import Delivery, Trigger
from points.models import Purchase
from rewards.models import IssuedReward

from .points import money
from .series import KpiFilter


@dataclass(frozen=True)
class ReactivationRow:
    automation_id: int | None
    name: str
    sent: int  # messages sent
    offered: int  # members who got the offer (sent or not)
    codes_used: int
    came_back: int  # members who bought within the offer's validity
    revenue: Decimal  # what they paid (after discounts and refunds) until the offer expired


@dataclass(frozen=True)
class Reactivation:
    rows: list[ReactivationRow]

    @property
    def total(self) -> ReactivationRow:
        return ReactivationRow(
            automation_id=None,
            name=_("All reactivation offers"),
            sent=sum(row.sent for row in self.rows),
            offered=sum(row.offered for row in self.rows),
            codes_used=sum(row.codes_used for row in self.rows),
            came_back=sum(row.came_back for row in self.rows),
            revenue=money(sum((row.revenue for row in self.rows), Decimal("0"))),
        )


# What the customer paid for a purchase, net of discounts and refunds.
PAID = ExpressionWrapper(
    F("amount") - F("discount_total") - F("refunded_amount"),
    output_field=DecimalField(max_digits=12, decimal_places=2),
)


def reactivation(kpi_filter: KpiFilter) -> Reactivation:
    """Per reactivation (dormant) automation, for the offers made in the period."""
    start, end = kpi_filter.instants()
    deliveries = Delivery.objects.filter(
        kpi_filter.member_scope(),
        automation__trigger=Trigger.DORMANT,
        created_at__gte=start,
        created_at__lt=end,
    )
    # Only a member who came back (the delivery converted) paid anything within the offer, so
    # the purchases are looked up for those deliveries alone.
    revenue_after_offer = (
        Purchase.objects.filter(
            member_id=OuterRef("member_id"),
            occurred_at__gte=OuterRef("converted_at"),
            occurred_at__lte=OuterRef("offer_expires_at"),
        )
        .values("member_id")
        .annotate(total=Sum(PAID))
        .values("total")
    )
    rows = (
        deliveries.annotate(
            revenue=Case(
                When(converted_at__isnull=False, then=Subquery(revenue_after_offer)),
                default=Value(Decimal("0")),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
        .values("automation_id", "automation__name")
        .annotate(
            sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
            offered=Count("pk"),
            codes_used=Count("pk", filter=Q(issued_reward__status=IssuedReward.Status.USED)),
            came_back=Count("member_id", filter=Q(converted_at__isnull=False), distinct=True),
            revenue_total=Sum("revenue"),
        )
        .order_by("automation__name")
    )
    return Reactivation(
        rows=[
            ReactivationRow(
                automation_id=row["automation_id"],
                name=row["automation__name"],
                sent=row["sent"],
                offered=row["offered"],
                codes_used=row["codes_used"],
                came_back=row["came_back"],
                revenue=money(row["revenue_total"] or Decimal("0")),
            )
            for row in rows
        ]
    )
