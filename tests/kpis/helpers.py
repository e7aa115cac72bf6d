"""A small, hand-computable history: members, purchases, ledger entries on chosen local days.

KPI tests are selector tests, so they write purchases and tier changes directly (on days long
past, which the POS API would refuse) and the ledger through `ledger_append`.
"""

import datetime
import itertools
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from points.models import Purchase, PurchaseLine, TierChange
from points.services import account_lock, ledger_append
from tests.factories import MemberFactory

ZONE = zoneinfo.ZoneInfo(settings.TIME_ZONE)
_transactions = itertools.count(1)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=ZONE)


def d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def member_on(day: str, *, store=None, referred_by=None, **kwargs):
    return MemberFactory(
        enrolled_at=at(d(day), 9), enrolled_store=store, referred_by=referred_by, **kwargs
    )


def purchase(member, store, day: str, amount="20.00", *, categories=(), discount="0.00"):
    bought = Purchase.objects.create(
        store=store,
        transaction_id=f"K{next(_transactions)}",
        member=member,
        amount=Decimal(amount),
        discount_total=Decimal(discount),
        currency="EUR",
        channel=store.channel,
        occurred_at=at(d(day)),
    )
    for category in categories:
        PurchaseLine.objects.create(purchase=bought, category=category, amount=Decimal("1.00"))
    return bought


def points(member, kind: str, amount: int, day: str):
    with transaction.atomic():
        return ledger_append(
            account_lock(member.pk), kind=kind, points=amount, effective_at=at(d(day))
        )


def tier_change(member, from_tier, to_tier, day: str):
    return TierChange.objects.create(
        account=member.point_account,
        from_tier=from_tier,
        to_tier=to_tier,
        reason=TierChange.Reason.UPGRADE,
        qualifying_points=0,
        created_at=at(d(day)),
    )
