"""Small helpers shared by tests: building purchases through the real services."""

import datetime
from decimal import Decimal

from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiScope
from accounts.services import api_key_create
from points.earning import BasketLine
from points.models import PointsEntry, Purchase
from points.services import PurchaseRequest, purchase_record


def buy(
    member,
    store,
    amount,
    *,
    transaction_id=None,
    occurred_at=None,
    lines=(),
    codes=(),
    store_credit=None,
    channel=None,
):
    """Records a purchase through the service and returns the outcome."""
    buy.counter += 1
    return purchase_record(
        request=PurchaseRequest(
            store=store,
            member=member,
            transaction_id=transaction_id or f"T{buy.counter}",
            amount=Decimal(str(amount)),
            currency="EUR",
            channel=channel,
            occurred_at=occurred_at,
            lines=tuple(
                BasketLine(
                    sku=sku, category=category, quantity=Decimal("1"), amount=Decimal(str(value))
                )
                for sku, category, value in lines
            ),
            codes=tuple(codes),
            store_credit=Decimal(str(store_credit)) if store_credit is not None else None,
        )
    )


buy.counter = 0
buy.last_id = lambda: f"T{buy.counter}"


def days_ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def ledger_counts() -> tuple[int, int]:
    return PointsEntry.objects.count(), Purchase.objects.count()


def purchase_body(card_number: str, **overrides) -> dict:
    body = {
        "transaction_id": "T-1001",
        "card_number": card_number,
        "amount": "24.95",
        "currency": "EUR",
    }
    body.update(overrides)
    return body


def issue(member, reward, *, source="staff", **kwargs):
    """Hands a member a reward (a code) through the service."""
    from django.db import transaction

    from rewards.services import reward_issue

    with transaction.atomic():
        return reward_issue(member=member, reward=reward, source=source, **kwargs)


def fresh(member):
    """The member as the API would load it (no stale cached account)."""
    from accounts.models import Member

    return Member.objects.select_related("point_account").get(pk=member.pk)


def pos_client_for(store, scopes=None) -> APIClient:
    """A client with a key of `store`; by default one that may do everything."""
    raw_key = api_key_create(
        store=store, name="Till", scopes=ApiScope.values if scopes is None else scopes
    ).raw_key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client
