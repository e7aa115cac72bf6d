import datetime

import pytest
from django.utils import timezone

from points.models import PointAccount, PointsEntry
from points.services import points_adjust
from rewards.models import IssuedReward, Reward, StoreCreditAccount
from tests.factories import RewardFactory, TierFactory, UserFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def give_points(member, points):
    points_adjust(member=member, points=points, reason="test setup", actor=UserFactory())


def redeem(pos, member, reward, key="k1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return pos.post(
        f"/api/v1/members/{member.card_number}/redemptions/",
        {"reward_id": reward.pk},
        format="json",
        **headers,
    )


def test_redeeming_spends_points_and_returns_a_code(pos, member):
    give_points(member, 250)
    reward = RewardFactory(points_cost=100, validity_days=14)
    # when
    response = redeem(pos, member, reward)
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["points_spent"] == 100
    assert body["points_balance"] == 150
    issued = IssuedReward.objects.get()
    assert body["code"] == issued.code
    assert len(issued.code) == 12
    expires = datetime.datetime.fromisoformat(body["expires_at"])
    assert abs(expires - (timezone.now() + datetime.timedelta(days=14))) < datetime.timedelta(
        minutes=1
    )
    entry = PointsEntry.objects.get(kind="redemption")
    assert (entry.points, issued.points_entry) == (-100, entry)


def test_a_retry_with_the_same_key_returns_the_same_code(pos, member):
    give_points(member, 250)
    reward = RewardFactory(points_cost=100)
    first = redeem(pos, member, reward, key="abc")
    retry = redeem(pos, member, reward, key="abc")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    assert IssuedReward.objects.count() == 1
    assert PointAccount.objects.get(member=member).balance == 150


def test_the_same_key_for_another_reward_is_a_conflict(pos, member):
    give_points(member, 500)
    redeem(pos, member, RewardFactory(points_cost=100), key="abc")
    response = redeem(pos, member, RewardFactory(points_cost=100), key="abc")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


def test_a_redemption_needs_an_idempotency_key(pos, member):
    give_points(member, 500)
    response = redeem(pos, member, RewardFactory(), key=None)
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (
        "idempotency_key_required",
        "Idempotency-Key",
    )
    assert IssuedReward.objects.count() == 0


def test_not_enough_points_is_refused_and_nothing_changes(pos, member):
    give_points(member, 99)
    response = redeem(pos, member, RewardFactory(points_cost=100))
    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_points"
    assert response.json()["points_balance"] == 99
    assert IssuedReward.objects.count() == 0
    assert PointAccount.objects.get(member=member).balance == 99


def test_an_exclusive_tier_reward_needs_that_tier(pos, member):
    TierFactory(rank=1, threshold=0)
    gold = TierFactory(rank=2, threshold=1000, name_nl="Goud")
    give_points(member, 500)
    response = redeem(pos, member, RewardFactory(points_cost=100, minimum_tier=gold))
    assert response.status_code == 403
    assert response.json()["code"] == "tier_required"
    assert IssuedReward.objects.count() == 0


def test_a_sold_out_reward_is_refused(pos, member):
    give_points(member, 500)
    reward = RewardFactory(points_cost=100, stock=1)
    assert redeem(pos, member, reward, key="1").status_code == 201
    response = redeem(pos, member, reward, key="2")
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert PointAccount.objects.get(member=member).balance == 400


def test_the_per_member_limit_holds(pos, member):
    give_points(member, 500)
    reward = RewardFactory(points_cost=100, per_member_limit=2)
    statuses = [redeem(pos, member, reward, key=str(i)).status_code for i in range(3)]
    assert statuses == [201, 201, 409]
    assert IssuedReward.objects.count() == 2


@pytest.mark.parametrize(
    ("reward_kwargs", "status", "code"),
    [
        ({"points_cost": 0}, 422, "not_for_sale"),
        ({"is_active": False}, 404, "reward_not_found"),
        ({"available_until": timezone.now() - datetime.timedelta(days=1)}, 404, "reward_not_found"),
    ],
)
def test_rewards_that_cannot_be_bought(pos, member, reward_kwargs, status, code):
    give_points(member, 500)
    response = redeem(pos, member, RewardFactory(**reward_kwargs))
    assert response.status_code == status
    assert response.json()["code"] == code
    assert PointAccount.objects.get(member=member).balance == 500


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, "required"), ({"reward_id": "x"}, "invalid"), ({"reward_id": 0}, "min_value")],
)
def test_bad_redemption_input(pos, member, body, code):
    response = pos.post(
        f"/api/v1/members/{member.card_number}/redemptions/",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_a_store_credit_reward_adds_to_the_credit_balance(pos, member):
    give_points(member, 500)
    response = redeem(pos, member, RewardFactory(credit=True, points_cost=300))
    assert response.status_code == 201
    assert response.json()["code"] is None
    assert response.json()["store_credit_balance"] == "10.00"
    assert StoreCreditAccount.objects.get(member=member).balance == 10


def test_the_rewards_list_is_filtered_by_tier_and_says_what_is_affordable(pos, member, store):
    TierFactory(rank=1, threshold=0, name_nl="Brons")
    gold = TierFactory(rank=2, threshold=1000, name_nl="Goud")
    buy(member, store, "150.00")
    cheap = RewardFactory(points_cost=100, name_nl="Koffie")
    dear = RewardFactory(points_cost=500, name_nl="Mok")
    RewardFactory(points_cost=50, minimum_tier=gold, name_nl="Goud-korting")
    RewardFactory(points_cost=0, name_nl="Alleen cadeau")
    # when
    body = pos.get(f"/api/v1/members/{member.card_number}/rewards/").json()
    # then
    offered = {item["name"]: item["is_affordable"] for item in body["catalogue"]}
    assert offered == {"Koffie": True, "Mok": False}
    assert body["points_balance"] == 150
    assert body["codes"] == []
    assert body["store_credit"] == "0.00"
    assert {cheap.pk, dear.pk} == {item["id"] for item in body["catalogue"]}
