"""Races for points and codes on real PostgreSQL connections."""

from decimal import Decimal

import pytest

from points.models import PointAccount
from points.services import points_adjust
from rewards.models import CodeUse, IssuedReward
from tests.concurrency import run_in_parallel
from tests.factories import MemberFactory, RewardFactory, StoreFactory, UserFactory
from tests.helpers import issue, pos_client_for, purchase_body
from tests.markers import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_parallel_redemptions_never_overspend():
    store, member = StoreFactory(), MemberFactory()
    points_adjust(member=member, points=300, reason="setup", actor=UserFactory())
    reward = RewardFactory(points_cost=100)
    clients = [pos_client_for(store) for _ in range(8)]
    # when 8 redemptions race for a balance that pays for 3
    responses = run_in_parallel(
        lambda i: clients[i].post(
            f"/api/v1/members/{member.card_number}/redemptions/",
            {"reward_id": reward.pk},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"key-{i}",
        ),
        8,
    )
    # then exactly 3 codes, and the balance is exactly spent
    assert sorted(r.status_code for r in responses) == [201] * 3 + [422] * 5
    assert IssuedReward.objects.count() == 3
    assert PointAccount.objects.get(member=member).balance == 0


def test_parallel_redemptions_with_one_key_issue_one_code():
    store, member = StoreFactory(), MemberFactory()
    points_adjust(member=member, points=1000, reason="setup", actor=UserFactory())
    reward = RewardFactory(points_cost=100)
    clients = [pos_client_for(store) for _ in range(6)]
    responses = run_in_parallel(
        lambda i: clients[i].post(
            f"/api/v1/members/{member.card_number}/redemptions/",
            {"reward_id": reward.pk},
            format="json",
            HTTP_IDEMPOTENCY_KEY="same",
        ),
        6,
    )
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
    assert len({r.json()["code"] for r in responses}) == 1
    assert PointAccount.objects.get(member=member).balance == 900


def test_limited_stock_is_never_oversold_across_members():
    store = StoreFactory()
    members = [MemberFactory() for _ in range(6)]
    for member in members:
        points_adjust(member=member, points=100, reason="setup", actor=UserFactory())
    reward = RewardFactory(points_cost=100, stock=2)
    clients = [pos_client_for(store) for _ in range(6)]
    responses = run_in_parallel(
        lambda i: clients[i].post(
            f"/api/v1/members/{members[i].card_number}/redemptions/",
            {"reward_id": reward.pk},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"k{i}",
        ),
        6,
    )
    assert sorted(r.status_code for r in responses) == [201] * 2 + [409] * 4
    assert IssuedReward.objects.count() == 2


def test_a_code_used_by_parallel_purchases_is_consumed_once():
    member = MemberFactory()
    stores = [StoreFactory() for _ in range(6)]
    code = issue(member, RewardFactory(fixed=True, value=Decimal("5"))).code
    clients = [pos_client_for(store) for store in stores]
    responses = run_in_parallel(
        lambda i: clients[i].post(
            "/api/v1/purchases/",
            purchase_body(member.card_number, transaction_id=f"T{i}", codes=[code]),
            format="json",
        ),
        6,
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 5
    assert all(r.json()["code"] == "code_used" for r in responses if r.status_code == 409)
    assert CodeUse.objects.count() == 1
