"""Real answers of every operation, success and error alike, fit the published OpenAPI schema:
the status is documented for the operation, the body has that status's shape (error codes are
an enum per status, so an undocumented code fails here), and documented headers are sent."""

from decimal import Decimal

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.cards import generate_card_number
from accounts.models import TILL_SCOPES, Member
from tests.api.openapi import api_schema, assert_conforms
from tests.factories import ActivityTypeFactory, RewardFactory
from tests.helpers import issue, pos_client_for, purchase_body

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/members/"
LOOKUP = "/api/v1/members/lookup/"
DETAIL = "/api/v1/members/{card_number}/"
LEDGER = "/api/v1/members/{card_number}/ledger/"
REWARDS = "/api/v1/members/{card_number}/rewards/"
REDEEM = "/api/v1/members/{card_number}/redemptions/"
PURCHASES = "/api/v1/purchases/"
QUOTE = "/api/v1/purchases/quote/"
REFUNDS = "/api/v1/purchases/{transaction_id}/refunds/"
ACTIVITIES = "/api/v1/activities/"
CHECKOUT = "/api/v1/checkout/validate/"
TOKENS = "/api/v1/member-tokens/"
ME = "/api/v1/me/"
ME_LEDGER = "/api/v1/me/ledger/"
ME_REWARDS = "/api/v1/me/rewards/"
ME_CODES = "/api/v1/me/codes/"
ME_CODE = "/api/v1/me/codes/{code_id}/"
ME_REDEEM = "/api/v1/me/redemptions/"
ME_QUOTE = "/api/v1/me/quote/"
MEMBER_ROUTES = [ME, ME_LEDGER, ME_REWARDS, ME_CODES, ME_CODE, ME_REDEEM, ME_QUOTE]
ALL = [
    MEMBERS,
    LOOKUP,
    DETAIL,
    LEDGER,
    REWARDS,
    REDEEM,
    PURCHASES,
    QUOTE,
    REFUNDS,
    ACTIVITIES,
    CHECKOUT,
    TOKENS,
    *MEMBER_ROUTES,
]


def call(
    client, method, template, *, card="", transaction_id="T1", code_id=1, body=None, **headers
):
    url = template.format(card_number=card, transaction_id=transaction_id, code_id=code_id)
    if method == "GET":
        response = client.get(url, body or {}, **headers)
    else:
        response = client.post(url, body, format="json", **headers)
    assert_conforms(response, template, method)
    return response


def test_every_operation_of_the_schema_is_covered_here():
    documented = {
        (method.upper(), path)
        for path, operations in api_schema()["paths"].items()
        for method in operations
    }
    assert {path for _method, path in documented} == set(ALL)
    assert len(documented) == 19


def test_successes_and_replays_fit_the_schema(pos, rich_member):
    card = rich_member.card_number
    code = issue(rich_member, RewardFactory(value=Decimal("10"))).code
    review = ActivityTypeFactory(code="review")
    key = {"HTTP_IDEMPOTENCY_KEY": "k1"}
    # every operation answers its success
    assert call(pos, "POST", MEMBERS, body={"email": "n@example.com"}, **key).status_code == 201
    assert call(pos, "GET", LOOKUP, body={"card_number": card}).status_code == 200
    assert call(pos, "GET", DETAIL, card=card).status_code == 200
    assert call(pos, "GET", REWARDS, card=card).status_code == 200
    purchase = purchase_body(
        card, transaction_id="T1", amount="50.00", codes=[code], store_credit="5.00"
    )
    assert call(pos, "POST", CHECKOUT, body=purchase).status_code == 200
    assert call(pos, "POST", QUOTE, body=purchase).status_code == 200
    assert call(pos, "POST", PURCHASES, body=purchase).status_code == 201
    assert call(pos, "POST", PURCHASES, body=purchase).status_code == 200  # replay
    refund = {"refund_id": "R1", "amount": "35.00"}
    assert call(pos, "POST", REFUNDS, body=refund).status_code == 201
    assert call(pos, "POST", REFUNDS, body=refund).status_code == 200
    activity = {"card_number": card, "activity_type": review.code, "reference": "r1"}
    assert call(pos, "POST", ACTIVITIES, body=activity).status_code == 201
    assert call(pos, "POST", ACTIVITIES, body=activity).status_code == 200
    for reward in (RewardFactory(), RewardFactory(credit=True)):
        redeem_key = {"HTTP_IDEMPOTENCY_KEY": f"r{reward.pk}"}
        body = {"reward_id": reward.pk}
        assert call(pos, "POST", REDEEM, card=card, body=body, **redeem_key).status_code == 201
        assert call(pos, "POST", REDEEM, card=card, body=body, **redeem_key).status_code == 200
    assert call(pos, "POST", MEMBERS, body={"email": "n@example.com"}, **key).status_code == 200
    ledger = call(pos, "GET", LEDGER, card=card, body={"page_size": 2})
    assert ledger.status_code == 200
    assert ledger.json()["count"] > 2
    assert ledger.json()["next"]


def test_errors_fit_the_schema(pos, store, member, other_store):
    card = member.card_number
    wrong_card = card[:-1] + str((int(card[-1]) + 1) % 10)
    unknown = {"HTTP_AUTHORIZATION": "Api-Key nope"}
    nobody = generate_card_number()
    expectations = [
        # (status, method, template, card, body, headers)
        (401, "GET", DETAIL, card, None, unknown),
        (400, "GET", DETAIL, wrong_card, None, {}),
        (404, "GET", LEDGER, card, {"page": 99}, {}),
        (400, "GET", LOOKUP, "", {}, {}),
        (404, "GET", LOOKUP, "", {"email": "none@example.com"}, {}),
        (400, "GET", REWARDS, "1234%00", None, {}),
        (400, "POST", MEMBERS, "", {"email": "x", "consents": {"email": "yes"}}, {}),
        (400, "POST", PURCHASES, "", {"amount": "1_000"}, {}),
        (404, "POST", PURCHASES, "", purchase_body(nobody), {}),
        (400, "POST", QUOTE, "", {**purchase_body(card), "currency": "USD"}, {}),
        (404, "POST", REFUNDS, "", {"refund_id": "R", "amount": "1.00"}, {}),
        (
            400,
            "POST",
            ACTIVITIES,
            "",
            {"card_number": card, "activity_type": "x", "reference": "r"},
            {},
        ),
        (400, "POST", REDEEM, card, {"reward_id": 1}, {}),
        (404, "POST", REDEEM, card, {"reward_id": 999}, {"HTTP_IDEMPOTENCY_KEY": "x"}),
        (404, "POST", CHECKOUT, "", {"card_number": nobody, "amount": "1.00"}, {}),
        (415, "POST", PURCHASES, "", None, {}),
        (406, "GET", DETAIL, card, None, {"HTTP_ACCEPT": "text/html"}),
    ]
    for status, method, template, card_number, body, headers in expectations:
        if status == 415:
            response = pos.generic("POST", template, "a=1", content_type="text/plain")
            assert_conforms(response, template, method)
        elif status == 401:
            client = APIClient()
            response = call(client, method, template, card=card_number, body=body, **headers)
            assert call(APIClient(), method, template, card=card_number).status_code == 401
        else:
            response = call(pos, method, template, card=card_number, body=body, **headers)
        assert response.status_code == status, (template, response.content)


def test_business_refusals_fit_the_schema(pos, member):
    card = member.card_number
    pos.post(PURCHASES, purchase_body(card, transaction_id="T1"), format="json")
    assert (
        call(
            pos, "POST", PURCHASES, body=purchase_body(card, transaction_id="T1", amount="9.00")
        ).status_code
        == 409
    )
    refund = {"refund_id": "R1", "amount": "999.00"}
    assert call(pos, "POST", REFUNDS, body=refund).status_code == 422
    reward = RewardFactory(points_cost=10_000)
    body, key = {"reward_id": reward.pk}, {"HTTP_IDEMPOTENCY_KEY": "k"}
    assert call(pos, "POST", REDEEM, card=card, body=body, **key).status_code == 422
    Member.objects.filter(pk=member.pk).update(status="blocked")
    assert (
        call(pos, "POST", CHECKOUT, body={"card_number": card, "amount": "1.00"}).status_code == 422
    )


def test_scope_refusals_and_limits_fit_the_schema(store, member):
    nothing = pos_client_for(store, scopes=[])
    assert call(nothing, "GET", DETAIL, card=member.card_number).status_code == 403
    till = pos_client_for(store)
    for index in range(10):
        codes = [f"ABCDEFGHJK{index:02d}".replace("0", "M").replace("1", "N")]
        call(
            till,
            "POST",
            CHECKOUT,
            body={"card_number": member.card_number, "amount": "1.00", "codes": codes},
        )
    refused = call(
        till,
        "POST",
        CHECKOUT,
        body={"card_number": member.card_number, "amount": "1.00", "codes": ["ZZZZZZZZZZZZ"]},
    )
    assert refused.status_code == 429
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        big = call(
            till,
            "POST",
            PURCHASES,
            body=purchase_body(member.card_number, transaction_id="x" * 200),
        )
    assert big.status_code == 413


def member_client(store, member) -> APIClient:
    shop = pos_client_for(store, scopes=["members:tokens"])
    response = call(shop, "POST", TOKENS, body={"card_number": member.card_number})
    assert response.status_code == 201
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    return client


def test_the_member_routes_answers_fit_the_schema(store, rich_member):
    client = member_client(store, rich_member)
    code = issue(rich_member, RewardFactory())
    reward, key = RewardFactory(points_cost=100), {"HTTP_IDEMPOTENCY_KEY": "m1"}
    assert call(client, "GET", ME).status_code == 200
    assert call(client, "GET", ME_LEDGER, body={"page_size": 1}).status_code == 200
    assert call(client, "GET", ME_REWARDS).status_code == 200
    assert call(client, "GET", ME_CODES).status_code == 200
    assert call(client, "GET", ME_CODE, code_id=code.pk).status_code == 200
    body = {"reward_id": reward.pk}
    assert call(client, "POST", ME_REDEEM, body=body, **key).status_code == 201
    assert call(client, "POST", ME_REDEEM, body=body, **key).status_code == 200
    assert call(client, "POST", ME_QUOTE, body={"amount": "20.00"}).status_code == 200


def test_the_member_routes_errors_fit_the_schema(store, member):
    client = member_client(store, member)
    shop = pos_client_for(store, scopes=["members:tokens"])
    till = pos_client_for(store, scopes=TILL_SCOPES)
    expectations = [
        (client, 404, "GET", ME_CODE, None, {}),
        (client, 400, "GET", ME_LEDGER, {"page": "x"}, {}),
        (client, 400, "POST", ME_REDEEM, {"reward_id": 1}, {}),
        (client, 404, "POST", ME_REDEEM, {"reward_id": 999}, {"HTTP_IDEMPOTENCY_KEY": "x"}),
        (client, 400, "POST", ME_QUOTE, {"amount": "1.00", "currency": "USD"}, {}),
        (client, 406, "GET", ME, None, {"HTTP_ACCEPT": "text/html"}),
        (till, 403, "POST", TOKENS, {"card_number": member.card_number}, {}),
        (shop, 400, "POST", TOKENS, {}, {}),
        (shop, 404, "POST", TOKENS, {"email": "nobody@example.com"}, {}),
        (pos_client_for(store, scopes=[]), 401, "GET", ME, None, {}),
        (APIClient(), 401, "GET", ME_CODES, None, {}),
    ]
    for who, status, method, template, body, headers in expectations:
        response = call(who, method, template, body=body, **headers)
        assert response.status_code == status, (template, response.content)
    Member.objects.filter(pk=member.pk).update(status="blocked")
    assert call(shop, "POST", TOKENS, body={"card_number": member.card_number}).status_code == 422
    assert call(client, "GET", ME).status_code == 401
