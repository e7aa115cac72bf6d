import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import PosApiKey, hash_api_key
from accounts.services import api_key_create, api_key_revoke

pytestmark = pytest.mark.django_db


def client_with(header: str | None) -> APIClient:
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "not_authenticated"),
        ("Api-Key ", "authentication_failed"),
        ("Bearer abc", "authentication_failed"),
        ("Api-Key pos_wrong", "authentication_failed"),
    ],
)
def test_requests_without_a_valid_key_are_refused(member, header, code):
    response = client_with(header).get(f"/api/v1/members/{member.card_number}/")
    assert response.status_code == 401
    assert response.json()["code"] == code


def test_a_revoked_key_is_refused(store, member):
    new_key = api_key_create(store=store, name="Till 1")
    api_key_revoke(api_key=new_key.api_key)
    response = client_with(f"Api-Key {new_key.raw_key}").get(
        f"/api/v1/members/{member.card_number}/"
    )
    assert response.status_code == 401


def test_the_key_of_a_deactivated_store_is_refused(store, member):
    new_key = api_key_create(store=store, name="Till 1")
    store.is_active = False
    store.save()
    response = client_with(f"Api-Key {new_key.raw_key}").get(
        f"/api/v1/members/{member.card_number}/"
    )
    assert response.status_code == 401


def test_keys_are_stored_hashed_and_record_when_they_were_last_used(store, member):
    new_key = api_key_create(store=store, name="Till 1")
    stored = PosApiKey.objects.get()
    assert new_key.raw_key not in (stored.key_hash, stored.prefix)
    assert stored.key_hash == hash_api_key(new_key.raw_key)
    assert stored.last_used_at is None
    client_with(f"Api-Key {new_key.raw_key}").get(f"/api/v1/members/{member.card_number}/")
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_create_api_key_prints_the_key_alone_on_its_last_line(store, capsys, member):
    call_command("create_api_key", store.code, "--name", "Till 7")
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line.startswith("pos_")
    assert " " not in last_line
    response = client_with(f"Api-Key {last_line}").get(f"/api/v1/members/{member.card_number}/")
    assert response.status_code == 200


def test_create_api_key_refuses_an_unknown_store(db):
    with pytest.raises(CommandError):
        call_command("create_api_key", "NOPE")


def test_create_store_command(db, capsys):
    call_command("create_store", "WEB", "Webshop", "--channel", "online")
    from accounts.models import Store

    assert Store.objects.get(code="WEB").channel == "online"
    with pytest.raises(CommandError):
        call_command("create_store", "WEB", "Again")


def test_unknown_api_paths_answer_json(pos):
    response = pos.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_wrong_methods_answer_json(pos):
    response = pos.delete("/api/v1/purchases/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_the_openapi_schema_and_docs_are_served_without_a_key(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/purchases/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_a_till_over_its_request_budget_is_told_to_wait(pos, member, settings):
    # DRF reloads its settings on the setting_changed signal; the fixture restores them after.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"pos": "3/min"},
    }
    statuses = [pos.get(f"/api/v1/members/{member.card_number}/").status_code for _ in range(4)]
    response = pos.get(f"/api/v1/members/{member.card_number}/")
    assert statuses == [200, 200, 200, 429]
    assert response.json()["code"] == "throttled"
    assert int(response.headers["Retry-After"]) <= 60
