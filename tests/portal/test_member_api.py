"""The member API for the web shop: a shop key with `members:tokens` exchanges a card number or
a verified e-mail for a member token, which reads and redeems for that member only."""

import time
from decimal import Decimal

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import TILL_SCOPES, ApiScope, Member, PosApiKey, Store
from accounts.services import api_key_revoke, api_key_set_scopes, member_erase
from points.models import PointsEntry
from rewards.models import IssuedReward
from tests.factories import (
    EarningRuleFactory,
    MemberFactory,
    RewardFactory,
    TierFactory,
    UserFactory,
)
from tests.helpers import buy, fresh, issue, pos_client_for

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/member-tokens/"
ME = "/api/v1/me/"
LEDGER = "/api/v1/me/ledger/"
REWARDS = "/api/v1/me/rewards/"
CODES = "/api/v1/me/codes/"
REDEEM = "/api/v1/me/redemptions/"
QUOTE = "/api/v1/me/quote/"
READS = [ME, LEDGER, REWARDS, CODES]


@pytest.fixture
def shop(store) -> APIClient:
    """The web shop's server: a key that may mint member tokens (and nothing else)."""
    return pos_client_for(store, scopes=[ApiScope.MEMBER_TOKENS])


def mint(shop, **lookup) -> str:
    response = shop.post(TOKENS, lookup, format="json")
    assert response.status_code == 201, response.content
    return response.json()["token"]


def browser(token: str) -> APIClient:
    """The shop's page in the member's browser, holding the token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def every_route(client, *, code_id: int = 1) -> list[int]:
    statuses = [client.get(url).status_code for url in READS]
    statuses.append(client.get(f"{CODES}{code_id}/").status_code)
    statuses.append(
        client.post(REDEEM, {"reward_id": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code
    )
    statuses.append(client.post(QUOTE, {"amount": "10.00"}, format="json").status_code)
    return statuses


# --- minting ---------------------------------------------------------------------------------


def test_a_shop_key_exchanges_a_card_number_for_a_token_of_that_member(shop, rich_member):
    # when
    response = shop.post(TOKENS, {"card_number": rich_member.card_number}, format="json")
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    me = browser(body["token"]).get(ME)
    assert me.status_code == 200
    assert me.json()["card_number"] == rich_member.card_number
    assert me.json()["points_balance"] == 1000
    assert me.json()["store_credit"] == "5.00"


def test_a_verified_e_mail_is_exchanged_whatever_its_case(shop, member):
    token = mint(shop, email=f"  {member.email.upper()} ")
    assert browser(token).get(ME).json()["card_number"] == member.card_number


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "one_lookup_key_required"),
        ({"card_number": "52810473961", "email": "a@example.com"}, 400, "one_lookup_key_required"),
        ({"card_number": "52810473962"}, 400, "invalid_card_number"),
        ({"email": "nobody@example.com"}, 404, "member_not_found"),
        ({"card_number": ["x"]}, 400, "invalid"),
    ],
)
def test_minting_refuses_bad_or_unknown_lookups(shop, member, body, status, code):
    response = shop.post(TOKENS, body, format="json")
    assert response.status_code == status
    assert response.json()["code"] == code


def test_a_blocked_member_gets_no_token(shop, member):
    Member.objects.filter(pk=member.pk).update(status=Member.Status.BLOCKED)
    response = shop.post(TOKENS, {"card_number": member.card_number}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "member_blocked"
    assert "token" not in response.json()


def test_a_till_key_without_the_scope_cannot_mint(store, member):
    till = pos_client_for(store, scopes=TILL_SCOPES)
    response = till.post(TOKENS, {"card_number": member.card_number}, format="json")
    assert response.status_code == 403
    assert response.json() | {"message": ""} == {
        "code": "scope_required",
        "message": "",
        "field": None,
        "scope": "members:tokens",
    }


def test_minting_is_rate_limited_per_key(shop, member):
    rates = {"pos": "6000/min", "member_tokens": "2/min", "member_api": "120/min"}
    with override_settings(REST_FRAMEWORK={**_rest_framework(), "DEFAULT_THROTTLE_RATES": rates}):
        mint(shop, card_number=member.card_number)
        mint(shop, card_number=member.card_number)
        refused = shop.post(TOKENS, {"card_number": member.card_number}, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) >= 1


def _rest_framework() -> dict:
    from django.conf import settings

    return settings.REST_FRAMEWORK


# --- who may call what -----------------------------------------------------------------------


def test_a_member_token_cannot_call_the_tills_routes(shop, member):
    client = browser(mint(shop, card_number=member.card_number))
    for response in (
        client.get(f"/api/v1/members/{member.card_number}/"),
        client.post(
            f"/api/v1/members/{member.card_number}/redemptions/",
            {"reward_id": 1},
            format="json",
            HTTP_IDEMPOTENCY_KEY="k",
        ),
        client.post(TOKENS, {"card_number": member.card_number}, format="json"),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "authentication_failed"


def test_a_till_key_cannot_call_the_member_routes(pos, member):
    assert every_route(pos) == [401] * 7
    assert pos.get(ME).json()["code"] == "authentication_failed"


def test_the_member_routes_need_a_token(db):
    response = APIClient().get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_an_expired_token_is_refused_on_every_route(shop, member, monkeypatch):
    # given a token signed 16 minutes ago
    real_time = time.time
    monkeypatch.setattr("django.core.signing.time.time", lambda: real_time() - 16 * 60)
    token = mint(shop, card_number=member.card_number)
    monkeypatch.setattr("django.core.signing.time.time", real_time)
    client = browser(token)
    # then
    assert every_route(client) == [401] * 7
    assert client.get(ME).json()["code"] == "token_expired"


def test_a_token_still_works_just_before_it_expires(shop, member, monkeypatch):
    real_time = time.time
    monkeypatch.setattr("django.core.signing.time.time", lambda: real_time() - 14 * 60)
    token = mint(shop, card_number=member.card_number)
    monkeypatch.setattr("django.core.signing.time.time", real_time)
    assert browser(token).get(ME).status_code == 200


@pytest.mark.parametrize(
    "token",
    ["", "nonsense", "eyJtIjoxLCJrIjoxfQ:1vPm0Q:forged", "a" * 5000],
)
def test_a_forged_or_mangled_token_is_refused(db, token):
    response = browser(token).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] in ("authentication_failed", "not_authenticated")


def test_a_token_with_another_members_id_is_refused_because_the_signature_breaks(shop, member):
    token = mint(shop, card_number=member.card_number)
    other = MemberFactory()
    value, rest = token.split(":", 1)
    tampered = value.replace(value, _payload(member_id=other.pk)) + ":" + rest
    response = browser(tampered).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def _payload(*, member_id: int) -> str:
    import base64
    import json

    raw = json.dumps({"m": member_id, "k": 1}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_blocked_members_token_stops_working_at_once(shop, rich_member):
    client = browser(mint(shop, card_number=rich_member.card_number))
    assert client.get(ME).status_code == 200
    # when
    Member.objects.filter(pk=rich_member.pk).update(status=Member.Status.BLOCKED)
    # then
    assert every_route(client) == [401] * 7
    assert PointsEntry.objects.filter(account__member=rich_member).count() == 1


def test_an_erased_members_token_stops_working(shop, member):
    client = browser(mint(shop, card_number=member.card_number))
    member_erase(member=member, actor=UserFactory(), reason="asked by e-mail")
    assert every_route(client) == [401] * 7


def test_revoking_the_shop_key_or_its_scope_stops_its_tokens(store, member):
    key = pos_client_for(store, scopes=[ApiScope.MEMBER_TOKENS, ApiScope.MEMBERS_READ])
    token = mint(key, card_number=member.card_number)
    api_key = PosApiKey.objects.get(store=store)
    assert browser(token).get(ME).status_code == 200
    # when the key keeps its other scopes but loses members:tokens
    api_key_set_scopes(api_key=api_key, scopes=[ApiScope.MEMBERS_READ])
    assert browser(token).get(ME).status_code == 401
    # and when, given it back, it is revoked altogether
    api_key_set_scopes(api_key=api_key, scopes=[ApiScope.MEMBER_TOKENS])
    assert browser(token).get(ME).status_code == 200
    api_key_revoke(api_key=api_key)
    assert browser(token).get(ME).status_code == 401


# --- a token reads and redeems its own member's data only ------------------------------------


@pytest.fixture
def two_members(shop, rich_member):
    """Anna (the rich member, with a code) and Bob (another member with a code and points)."""
    other = MemberFactory()
    from points.services import points_adjust

    points_adjust(member=other, points=300, reason="test", actor=UserFactory())
    anna_code = issue(rich_member, RewardFactory())
    bob_code = issue(other, RewardFactory())
    return rich_member, other, anna_code, bob_code


def test_each_read_route_shows_the_token_members_data_only(shop, two_members):
    anna, bob, anna_code, bob_code = two_members
    client = browser(mint(shop, card_number=anna.card_number))
    # /me/
    assert client.get(ME).json()["card_number"] == anna.card_number
    # ledger
    ledger = client.get(LEDGER).json()
    assert ledger["count"] == PointsEntry.objects.filter(account__member=anna).count()
    assert {row["id"] for row in ledger["results"]} == set(
        PointsEntry.objects.filter(account__member=anna).values_list("pk", flat=True)
    )
    # rewards: Anna's codes, in full (the member's own)
    rewards = client.get(REWARDS).json()
    assert rewards["points_balance"] == 1000
    assert [code["code"] for code in rewards["codes"]] == [anna_code.code]
    # codes
    codes = client.get(CODES).json()
    assert [(code["id"], code["code"]) for code in codes] == [(anna_code.pk, anna_code.code)]
    assert client.get(f"{CODES}{anna_code.pk}/").json()["code"] == anna_code.code


def test_another_members_code_id_is_not_found(shop, two_members):
    anna, _bob, _anna_code, bob_code = two_members
    client = browser(mint(shop, card_number=anna.card_number))
    for code_id in (str(bob_code.pk), "999999", "abc", "9" * 40):
        response = client.get(f"{CODES}{code_id}/")
        assert response.status_code == 404, code_id
        assert response.json()["code"] == "code_not_found"


def test_redeeming_spends_the_token_members_points_only(shop, two_members):
    anna, bob, _anna_code, _bob_code = two_members
    reward = RewardFactory(points_cost=250)
    client = browser(mint(shop, card_number=anna.card_number))
    # when
    response = client.post(
        REDEEM, {"reward_id": reward.pk}, format="json", HTTP_IDEMPOTENCY_KEY="basket-1"
    )
    # then
    assert response.status_code == 201
    assert response.json()["points_balance"] == 750
    assert fresh(anna).point_account.balance == 750
    assert fresh(bob).point_account.balance == 300
    issued = IssuedReward.objects.get(reward=reward)
    assert issued.member_id == anna.pk
    assert response.json()["code"] == issued.code


def test_a_redemption_retried_with_its_key_is_answered_once(shop, rich_member):
    reward = RewardFactory(points_cost=100)
    client = browser(mint(shop, card_number=rich_member.card_number))
    body, key = {"reward_id": reward.pk}, {"HTTP_IDEMPOTENCY_KEY": "checkout-42"}
    # when
    first = client.post(REDEEM, body, format="json", **key)
    again = client.post(REDEEM, body, format="json", **key)
    # then the retry gets the first answer, byte for byte, and spends nothing more
    assert first.status_code == 201
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert fresh(rich_member).point_account.balance == 900
    assert IssuedReward.objects.filter(reward=reward).count() == 1
    # and the same key for another reward is a conflict that spends nothing
    other = RewardFactory(points_cost=100)
    conflict = client.post(REDEEM, {"reward_id": other.pk}, format="json", **key)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_key_reused"
    assert fresh(rich_member).point_account.balance == 900


def test_a_redemption_follows_the_tills_rules(shop, member):
    client = browser(mint(shop, card_number=member.card_number))
    reward = RewardFactory(points_cost=100)
    no_key = client.post(REDEEM, {"reward_id": reward.pk}, format="json")
    assert no_key.status_code == 400
    assert no_key.json()["code"] == "idempotency_key_required"
    poor = client.post(REDEEM, {"reward_id": reward.pk}, format="json", HTTP_IDEMPOTENCY_KEY="a")
    assert poor.status_code == 422
    assert poor.json()["code"] == "insufficient_points"
    unknown = client.post(REDEEM, {"reward_id": 99999}, format="json", HTTP_IDEMPOTENCY_KEY="b")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "reward_not_found"
    assert IssuedReward.objects.count() == 0


def test_a_quote_tells_what_a_basket_would_earn_and_records_nothing(shop, member):
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    client = browser(mint(shop, card_number=member.card_number))
    entries = PointsEntry.objects.count()
    # when
    response = client.post(
        QUOTE,
        {"amount": "34.40", "lines": [{"sku": "KOF-250", "amount": "15.90"}]},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert response.json()["points_earned"] == 34
    assert response.json()["card_number"] == member.card_number
    assert PointsEntry.objects.count() == entries
    refused = client.post(QUOTE, {"amount": "5.00", "currency": "USD"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "currency_mismatch"


def test_the_tier_progress_is_the_portals(shop, rich_member):
    TierFactory(rank=1, threshold=0)
    TierFactory(rank=2, threshold=4000)
    buy(rich_member, Store.objects.get(), "1000.00")
    body = browser(mint(shop, card_number=rich_member.card_number)).get(ME).json()
    assert body["next_tier"]["threshold"] == 4000
    assert body["qualifying_points"] == 1000
    assert body["tier_progress"] == 25


# --- CORS --------------------------------------------------------------------------------------


SHOP = "https://shop.example.com"


@override_settings(MEMBER_API_ALLOWED_ORIGINS=[SHOP])
def test_the_shops_origin_may_call_the_member_routes_from_the_browser(shop, member):
    client = browser(mint(shop, card_number=member.card_number))
    preflight = APIClient().options(
        REDEEM,
        HTTP_ORIGIN=SHOP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, idempotency-key",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == SHOP
    assert "Idempotency-Key" in preflight["Access-Control-Allow-Headers"]
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]
    answer = client.get(ME, HTTP_ORIGIN=SHOP)
    assert answer["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in answer["Vary"]
    assert "Access-Control-Allow-Credentials" not in answer


@override_settings(MEMBER_API_ALLOWED_ORIGINS=[SHOP])
def test_other_origins_and_the_tills_routes_get_no_cors_headers(shop, pos, member):
    client = browser(mint(shop, card_number=member.card_number))
    evil = client.get(ME, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in evil
    preflight = APIClient().options(
        ME, HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert "Access-Control-Allow-Origin" not in preflight
    assert "Access-Control-Allow-Methods" not in preflight
    till = pos.get(f"/api/v1/members/{member.card_number}/", HTTP_ORIGIN=SHOP)
    assert "Access-Control-Allow-Origin" not in till
    minting = shop.post(
        TOKENS, {"card_number": member.card_number}, format="json", HTTP_ORIGIN=SHOP
    )
    assert "Access-Control-Allow-Origin" not in minting
