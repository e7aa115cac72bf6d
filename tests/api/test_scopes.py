"""Keys may do what their scopes say; other members' codes are masked without codes:read."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from accounts.models import TILL_SCOPES, ApiScope, PosApiKey
from accounts.services import api_key_set_scopes
from points.models import Purchase
from tests.factories import ActivityTypeFactory, RewardFactory, UserFactory
from tests.helpers import issue, pos_client_for, purchase_body

pytestmark = pytest.mark.django_db


def operations(member, reward_id=1):
    card = member.card_number
    return [
        ("post", "/api/v1/members/", {"email": "new@example.com"}, "members:enrol"),
        ("get", "/api/v1/members/lookup/", {"card_number": card}, "members:read"),
        ("get", f"/api/v1/members/{card}/", None, "members:read"),
        ("get", f"/api/v1/members/{card}/ledger/", None, "members:read"),
        ("get", f"/api/v1/members/{card}/rewards/", None, "members:read"),
        ("post", "/api/v1/purchases/", purchase_body(card), "purchases:write"),
        ("post", "/api/v1/purchases/quote/", purchase_body(card), "purchases:write"),
        (
            "post",
            "/api/v1/purchases/T1/refunds/",
            {"refund_id": "R1", "amount": "1.00"},
            "refunds:write",
        ),
        (
            "post",
            "/api/v1/activities/",
            {"card_number": card, "activity_type": "review", "reference": "r"},
            "activities:write",
        ),
        (
            "post",
            f"/api/v1/members/{card}/redemptions/",
            {"reward_id": reward_id},
            "rewards:redeem",
        ),
        (
            "post",
            "/api/v1/checkout/validate/",
            {"card_number": card, "amount": "5.00"},
            "codes:validate",
        ),
    ]


def send(client, method, url, body):
    if method == "get":
        return client.get(url, body or {})
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k")


def test_every_operation_needs_its_scope_and_names_it(store, member):
    # given a key with no scopes at all
    client = pos_client_for(store, scopes=[])
    for method, url, body, scope in operations(member):
        # when it tries each operation
        response = send(client, method, url, body)
        # then each is refused, naming the scope it needs
        assert response.status_code == 403, (url, response.json())
        assert response.json()["code"] == "scope_required"
        assert response.json()["scope"] == scope
        assert scope in response.json()["message"]
    assert Purchase.objects.count() == 0


def test_a_key_with_only_one_scope_can_do_that_and_nothing_else(store, member):
    client = pos_client_for(store, scopes=["members:read"])
    for method, url, body, scope in operations(member):
        status = send(client, method, url, body).status_code
        assert (status != 403) == (scope == "members:read"), url


def test_a_purchase_with_codes_needs_codes_validate(store, member):
    client = pos_client_for(store, scopes=["purchases:write"])
    code = issue(member, RewardFactory()).code
    response = client.post(
        "/api/v1/purchases/", purchase_body(member.card_number, codes=[code]), format="json"
    )
    assert response.status_code == 403
    assert response.json()["scope"] == "codes:validate"
    assert Purchase.objects.count() == 0
    # without codes the same key records the purchase
    assert (
        client.post(
            "/api/v1/purchases/", purchase_body(member.card_number), format="json"
        ).status_code
        == 201
    )


def test_a_till_key_sees_only_the_last_four_characters_of_live_codes(store, member):
    # given a member's unused code and a till key (no codes:read)
    code = issue(member, RewardFactory()).code
    till = pos_client_for(store, scopes=TILL_SCOPES)
    # when the till reads the member's rewards
    body = till.get(f"/api/v1/members/{member.card_number}/rewards/").json()
    # then the code is masked
    (shown,) = body["codes"]
    assert shown["code"] == "********" + code[-4:]
    assert shown["display_code"] == "****-****-" + code[-4:]
    assert shown["is_masked"] is True
    assert code not in str(body)


def test_a_key_with_codes_read_sees_codes_in_full(store, member):
    code = issue(member, RewardFactory()).code
    client = pos_client_for(store, scopes=["members:read", "codes:read"])
    (shown,) = client.get(f"/api/v1/members/{member.card_number}/rewards/").json()["codes"]
    assert (shown["code"], shown["is_masked"]) == (code, False)


def test_the_till_default_is_what_a_till_needs(store):
    call_command("create_api_key", store.code)
    key = PosApiKey.objects.get()
    assert key.scopes == list(TILL_SCOPES)
    assert "codes:read" not in key.scopes
    assert "activities:write" not in key.scopes


@pytest.mark.parametrize("given", [["members:read", "codes:read"], ["members:read,codes:read"]])
def test_create_api_key_takes_scopes(store, given, capsys):
    call_command("create_api_key", store.code, "--scopes", *given)
    assert PosApiKey.objects.get().scopes == ["members:read", "codes:read"]
    assert "members:read, codes:read" in capsys.readouterr().out


def test_create_api_key_refuses_unknown_scopes(store):
    with translation.override("en"), pytest.raises(CommandError, match="Unknown scope: everything"):
        call_command("create_api_key", store.code, "--scopes", "everything")
    assert PosApiKey.objects.count() == 0


def test_changing_scopes_takes_effect_at_once(store, member):
    client = pos_client_for(store, scopes=["members:read"])
    url = f"/api/v1/members/{member.card_number}/"
    assert client.get(url).status_code == 200
    api_key_set_scopes(api_key=PosApiKey.objects.get(), scopes=[])
    assert client.get(url).status_code == 403


def test_staff_choose_the_scopes_of_a_new_key_in_admin(store, client):
    # given a superuser in admin
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    form = client.get("/admin/accounts/posapikey/add/")
    assert form.status_code == 200
    for scope in ApiScope.values:
        assert f'value="{scope}"' in form.content.decode()
    # when they add a key for a web shop that only reads members and awards activities
    response = client.post(
        "/admin/accounts/posapikey/add/",
        {"store": store.pk, "name": "Web shop", "scopes": ["members:read", "activities:write"]},
    )
    # then the key has those scopes
    assert response.status_code == 200
    assert PosApiKey.objects.get().scopes == ["members:read", "activities:write"]


def test_activities_work_with_their_scope(store, member):
    ActivityTypeFactory(code="review")
    client = pos_client_for(store, scopes=["activities:write"])
    response = client.post(
        "/api/v1/activities/",
        {"card_number": member.card_number, "activity_type": "review", "reference": "r"},
        format="json",
    )
    assert response.status_code == 201
