"""Every webhook event comes from its cause, in the cause's transaction (one place per event)."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.services import member_consents_set, member_enrol, member_erase, member_update_contact
from campaigns.models import Delivery
from campaigns.services import deliveries_fulfil, delivery_send
from core import webhooks
from core.models import WebhookDelivery
from points.services import points_expire_due
from rewards.services import reward_redeem
from tests.factories import (
    AutomationFactory,
    EarningRuleFactory,
    MemberFactory,
    RewardFactory,
    TierFactory,
    UserFactory,
)
from tests.helpers import buy, issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def endpoint(db):
    return webhooks.endpoint_create(url="https://hooks.example.com/in", events="")


def sent(event: str) -> list[dict]:
    return [
        delivery.payload["data"]
        for delivery in WebhookDelivery.objects.filter(event=event).order_by("pk")
    ]


def test_member_events():
    member = member_enrol(email="ann@example.com", first_name="Ann")
    member_update_contact(
        member=member,
        email="ann@example.org",
        phone=None,
        first_name="Ann",
        last_name="Smit",
        birth_date=None,
        language="en",
    )
    member_consents_set(member=member, choices={"email": True}, source="portal")
    member_erase(member=member, actor=UserFactory(), reason="asked by phone")
    assert sent("member.enrolled") == [
        {"member_id": member.pk, "card_number": member.card_number, "language": "nl"}
    ]
    assert sent("member.updated") == [
        {"member_id": member.pk, "card_number": member.card_number, "language": "en"}
    ]
    # (closing the account withdraws consent too; member.erased says so)
    assert sent("consent.changed") == [
        {"member_id": member.pk, "channel": "email", "granted": True, "source": "portal"}
    ]
    assert sent("member.erased") == [{"member_id": member.pk, "card_number": member.card_number}]


def test_purchase_refund_tier_and_code_events(member, store, pos):
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    TierFactory(rank=1)
    TierFactory(rank=2, threshold=100, name_nl="Zilver")
    code = issue(member, RewardFactory(fixed=True)).code
    # when
    buy(member, store, "150.00", transaction_id="T1", codes=[code])
    pos.post("/api/v1/purchases/T1/refunds/", {"refund_id": "R1", "amount": "50.00"}, format="json")
    # then
    [purchase] = sent("purchase.recorded")
    assert (purchase["transaction_id"], purchase["amount"], purchase["discount_total"]) == (
        "T1",
        "150.00",
        "5.00",
    )
    [refund] = sent("purchase.refunded")
    assert (refund["refund_id"], refund["amount"], refund["member_id"]) == (
        "R1",
        "50.00",
        member.pk,
    )
    assert sent("code.used") == [
        {"member_id": member.pk, "code": code, "discount": "5.00", "transaction_id": "T1"}
    ]
    assert {
        "member_id": member.pk,
        "from_tier": None,
        "to_tier": "Zilver",
        "reason": "upgrade",
    } in (sent("tier.changed"))
    # in the order they happened, one chain per member
    events = list(
        WebhookDelivery.objects.filter(chain=f"m{member.pk}")
        .order_by("pk")
        .values_list("event", flat=True)
    )
    assert events.index("purchase.recorded") < events.index("purchase.refunded")


def test_points_events(rich_member):
    reward = RewardFactory(points_cost=100)
    reward_redeem(store=None, member=rich_member, reward_id=reward.pk, idempotency_key="k1")
    [redeemed] = sent("reward.redeemed")
    assert (redeemed["reward_id"], redeemed["points_spent"], redeemed["points_balance"]) == (
        reward.pk,
        100,
        900,
    )
    assert sent("points.adjusted") == [
        {"member_id": rich_member.pk, "points": 1000, "balance": 1000, "reason": "test"}
    ]


def test_points_expired_event(member, store):
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    buy(member, store, "70.00")
    # when
    points_expire_due(now=timezone.now() + datetime.timedelta(days=31 * 30))
    # then
    assert sent("points.expired") == [{"member_id": member.pk, "points": 70, "balance": 0}]


def test_delivery_events(store):
    automation = AutomationFactory(trigger="welcome", days=None)
    member = MemberFactory(email_consent_at=timezone.now())
    delivery = Delivery.objects.create(automation=automation, member=member, period_key="welcome")
    deliveries_fulfil([delivery.pk])
    # when
    delivery_send(delivery.pk)
    buy(member, store, "20.00", transaction_id="T9")
    # then
    assert sent("delivery.sent") == [
        {
            "member_id": member.pk,
            "delivery_id": delivery.pk,
            "automation_id": automation.pk,
            "channel": "email",
        }
    ]
    assert sent("delivery.converted") == [
        {
            "member_id": member.pk,
            "delivery_id": delivery.pk,
            "automation_id": automation.pk,
            "transaction_id": "T9",
        }
    ]


def test_no_active_endpoint_no_rows(member, endpoint):
    endpoint.active = False
    endpoint.save()
    with transaction.atomic():
        assert webhooks.emit("points.adjusted", {"points": 1}, member_id=member.pk) == 0
    assert not WebhookDelivery.objects.exists()


def test_a_new_or_changed_endpoint_is_seen_at_once(member, endpoint):
    endpoint.active = False
    endpoint.save()
    with transaction.atomic():
        assert webhooks.emit("points.adjusted", {"points": 1}, member_id=member.pk) == 0
    # when (the empty list is cached now)
    webhooks.endpoint_create(url="https://other.example.com/in", events="points.adjusted")
    # then
    with transaction.atomic():
        assert webhooks.emit("points.adjusted", {"points": 1}, member_id=member.pk) == 1
