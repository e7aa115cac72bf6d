"""The Output serializers are the API's schema: each answer has exactly their fields.

Every write answer is checked in its fullest form (codes and store credit at the till, a store
credit reward), so a key added to an answer without its serializer field, or a field the answer
never has, fails here.
"""

from decimal import Decimal

import pytest

from points.api import serializers as points_s
from rewards.api import serializers as rewards_s
from tests.factories import ActivityTypeFactory, RewardFactory
from tests.helpers import issue

pytestmark = pytest.mark.django_db


def assert_matches(serializer_class, body: dict) -> None:
    fields = serializer_class().fields
    required = {name for name, field in fields.items() if field.required}
    assert set(body) - set(fields) == set(), f"{serializer_class.__name__}: not in the schema"
    assert required - set(body) == set(), f"{serializer_class.__name__}: missing from the answer"


def purchase(pos, member, **extra):
    body = {
        "card_number": member.card_number,
        "transaction_id": "T1",
        "amount": "50.00",
        "currency": "EUR",
        **extra,
    }
    response = pos.post("/api/v1/purchases/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_purchase_answer_has_the_fields_of_its_schema(pos, rich_member):
    code = issue(rich_member, RewardFactory(value=Decimal("10"))).code
    body = purchase(pos, rich_member, codes=[code], store_credit="5.00")
    assert_matches(points_s.PurchaseOutput, body)
    assert_matches(points_s.ExplanationLineOutput, body["explanation"][0])


def test_a_quote_answer_has_the_fields_of_its_schema(pos, rich_member):
    code = issue(rich_member, RewardFactory(value=Decimal("10"))).code
    response = pos.post(
        "/api/v1/purchases/quote/",
        {
            "card_number": rich_member.card_number,
            "amount": "50.00",
            "currency": "EUR",
            "codes": [code],
            "store_credit": "5.00",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert_matches(points_s.QuoteOutput, response.json())


def test_a_refund_answer_has_the_fields_of_its_schema(pos, rich_member):
    purchase(pos, rich_member, store_credit="5.00")
    response = pos.post(
        "/api/v1/purchases/T1/refunds/", {"refund_id": "R1", "amount": "50.00"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert_matches(points_s.RefundOutput, response.json())


def test_an_activity_answer_has_the_fields_of_its_schema(pos, member):
    review = ActivityTypeFactory(code="review")
    response = pos.post(
        "/api/v1/activities/",
        {"card_number": member.card_number, "activity_type": review.code, "reference": "r1"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert_matches(points_s.ActivityOutput, response.json())


@pytest.mark.parametrize("reward", [{}, {"credit": True}], ids=["code", "store credit"])
def test_a_redemption_answer_has_the_fields_of_its_schema(pos, rich_member, reward):
    response = pos.post(
        f"/api/v1/members/{rich_member.card_number}/redemptions/",
        {"reward_id": RewardFactory(**reward).pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 201, response.json()
    assert_matches(rewards_s.RedemptionOutput, response.json())


def test_a_checkout_answer_has_the_fields_of_its_schema(pos, rich_member):
    good = issue(rich_member, RewardFactory(value=Decimal("10"))).code
    response = pos.post(
        "/api/v1/checkout/validate/",
        {
            "card_number": rich_member.card_number,
            "amount": "50.00",
            "codes": [good, "NOPE-NOPE"],
            "store_credit": "5.00",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert_matches(rewards_s.CheckoutOutput, body)
    for verdict in body["codes"]:
        assert_matches(rewards_s.CodeVerdictOutput, verdict)
    assert_matches(rewards_s.StoreCreditVerdictOutput, body["store_credit"])


def test_a_replay_answers_the_first_answer_byte_for_byte(pos, rich_member):
    # given a purchase with a code and store credit, a refund, an activity, an enrolment and a
    # store credit redemption
    code = issue(rich_member, RewardFactory(value=Decimal("10"))).code
    review = ActivityTypeFactory(code="review")
    reward = RewardFactory(credit=True)
    card = rich_member.card_number
    writes = [
        (
            "/api/v1/purchases/",
            {
                "card_number": card,
                "transaction_id": "T1",
                "amount": "50.00",
                "currency": "EUR",
                "codes": [code],
                "store_credit": "5.00",
            },
        ),
        ("/api/v1/purchases/T1/refunds/", {"refund_id": "R1", "amount": "35.00"}),
        (
            "/api/v1/activities/",
            {"card_number": card, "activity_type": review.code, "reference": "r1"},
        ),
        ("/api/v1/members/", {"email": "new@example.com", "consents": {"email": True}}),
        (f"/api/v1/members/{card}/redemptions/", {"reward_id": reward.pk}),
    ]

    def send(url, body):
        return pos.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"key-{url}")

    firsts = [send(url, body) for url, body in writes]
    assert [first.status_code for first in firsts] == [201] * len(writes)
    # when each is sent again
    replays = [send(url, body) for url, body in writes]
    # then each replay is the first answer byte for byte (PostgreSQL keeps the stored answers
    # as jsonb, which has no key order), with 200 and the marker header
    for first, replay in zip(firsts, replays, strict=True):
        assert replay.status_code == 200
        assert replay["Idempotent-Replayed"] == "true"
        assert replay.content == first.content


def test_the_member_routes_answers_have_the_fields_of_their_schema(pos, rich_member):
    from rest_framework.test import APIClient

    from portal.api import serializers as member_s

    # given a member token, and a member with a tier to reach and a code
    minted = pos.post(
        "/api/v1/member-tokens/", {"card_number": rich_member.card_number}, format="json"
    )
    assert_matches(member_s.MemberTokenOutput, minted.json())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {minted.json()['token']}")
    issued = issue(rich_member, RewardFactory())
    # then
    assert_matches(member_s.MeOutput, client.get("/api/v1/me/").json())
    assert_matches(member_s.MeCodeOutput, client.get("/api/v1/me/codes/").json()[0])
    assert_matches(member_s.MeCodeOutput, client.get(f"/api/v1/me/codes/{issued.pk}/").json())
