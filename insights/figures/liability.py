"""The full liability now: outstanding points, pending points, store credit and unused codes in
euros, and what is expected to be spent of it after breakage (the share history says is never
used)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from points.models import EntryKind, LoyaltyProgram, PointAccount, PointsEntry, Purchase
from rewards.models import IssuedReward, RewardKind, StoreCreditAccount
from rewards.selectors import code_fates

from .points import money

HISTORY_DAYS = 365  # breakage is learnt from this many past days


@dataclass(frozen=True)
class LiabilityRow:
    kind: str  # points, pending_points, store_credit, codes
    label: str
    outstanding: Decimal  # euros
    quantity: int  # points, members with credit, codes
    breakage_percent: Decimal | None  # None: no history to learn from (counted as 0)

    @property
    def expected(self) -> Decimal:
        share = (self.breakage_percent or Decimal("0")) / 100
        return money(self.outstanding * (1 - share))


@dataclass(frozen=True)
class Liability:
    rows: list[LiabilityRow]

    @property
    def outstanding(self) -> Decimal:
        return money(sum((row.outstanding for row in self.rows), Decimal("0")))

    @property
    def expected(self) -> Decimal:
        return money(sum((row.expected for row in self.rows), Decimal("0")))


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _combined(first: Decimal | None, then: Decimal | None) -> Decimal | None:
    """The breakage of two losses in a row (percentages): 1 − (1 − a)(1 − b); None without
    history for either."""
    if first is None and then is None:
        return None
    kept = (1 - (first or Decimal("0")) / 100) * (1 - (then or Decimal("0")) / 100)
    return ((1 - kept) * 100).quantize(Decimal("0.1"))


def liability(*, now: datetime.datetime | None = None) -> Liability:
    now = now or timezone.now()
    since = now - datetime.timedelta(days=HISTORY_DAYS)
    point_value = LoyaltyProgram.current().point_value
    # Points: the outstanding balance; breakage = expired ÷ (expired + redeemed) of the past year.
    points = PointAccount.objects.aggregate(total=Sum("balance"))["total"] or 0
    flows = PointsEntry.objects.filter(created_at__gte=since).aggregate(
        expired=Sum("points", filter=Q(kind=EntryKind.EXPIRY)),
        redeemed=Sum(
            "points", filter=Q(kind__in=[EntryKind.REDEMPTION, EntryKind.REDEMPTION_REVERSAL])
        ),
    )
    expired, redeemed = -(flows["expired"] or 0), -(flows["redeemed"] or 0)
    points_breakage = _percent(expired, expired + redeemed)
    # Pending points (inside a return window): a refund cancels some before release, the rest
    # become points and then break like them. Breakage = 1 − (1 − cancelled share) × (1 − points
    # breakage), the cancelled share = cancelled ÷ (cancelled + released) of the past year.
    pending = PointAccount.objects.aggregate(total=Sum("pending_balance"))["total"] or 0
    pending_flows = PointsEntry.objects.filter(created_at__gte=since).aggregate(
        cancelled=Sum("pending_points", filter=Q(kind=EntryKind.PENDING_CANCEL)),
        released=Sum("pending_points", filter=Q(kind=EntryKind.RELEASE)),
    )
    cancelled, released = -(pending_flows["cancelled"] or 0), -(pending_flows["released"] or 0)
    pending_breakage = _combined(_percent(cancelled, cancelled + released), points_breakage)
    # Store credit never expires: no breakage.
    credit = StoreCreditAccount.objects.filter(balance__gt=0).aggregate(
        total=Sum("balance"), members=Count("pk")
    )
    # Codes: unused and valid, at their value (a percentage at the usual basket); breakage =
    # expired unused ÷ (used + expired) among codes whose fate was decided in the past year.
    live = IssuedReward.objects.filter(
        code__isnull=False, status=IssuedReward.Status.ISSUED, expires_at__gt=now
    )
    basket = Purchase.objects.filter(occurred_at__gte=since).aggregate(average=Avg("amount"))[
        "average"
    ] or Decimal("0")
    code_value = Decimal("0")
    code_count = 0
    for kind, value, minimum, count in (
        live.values_list("reward__kind", "value", "minimum_spend")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        if kind == RewardKind.PERCENTAGE_DISCOUNT:
            value = max(Decimal(basket), minimum) * value / 100
        code_value += value * count
        code_count += count
    fates = code_fates(since=since, now=now)
    return Liability(
        rows=[
            LiabilityRow(
                "points",
                _("Outstanding points"),
                money(Decimal(points) * point_value),
                int(points),
                points_breakage,
            ),
            LiabilityRow(
                "pending_points",
                _("Pending points"),
                money(Decimal(pending) * point_value),
                int(pending),
                pending_breakage,
            ),
            LiabilityRow(
                "store_credit",
                _("Outstanding store credit"),
                money(credit["total"] or Decimal("0")),
                credit["members"] or 0,
                Decimal("0"),
            ),
            LiabilityRow(
                "codes",
                _("Unused codes"),
                money(code_value),
                code_count,
                fates.expired_percent,
            ),
        ]
    )
