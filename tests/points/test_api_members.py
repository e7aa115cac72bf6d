import pytest

from accounts.models import Member
from points.models import PointAccount
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def test_enrolment_returns_a_new_card_number(pos, store):
    response = pos.post(
        "/api/v1/members/",
        {"email": "Nina@Example.com", "first_name": "Nina", "consents": {"email": True}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    member = Member.objects.get(card_number=body["card_number"])
    assert member.email == "nina@example.com"
    assert member.enrolled_store == store
    assert member.email_consent_at is not None
    assert body["points_balance"] == 0
    assert PointAccount.objects.filter(member=member).exists()


def test_enrolling_with_a_known_email_is_a_conflict(pos):
    pos.post("/api/v1/members/", {"email": "nina@example.com"}, format="json")
    response = pos.post("/api/v1/members/", {"email": "NINA@example.com"}, format="json")
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["field"]) == ("email_taken", "email")
    assert Member.objects.count() == 1


def test_enrolment_with_an_idempotency_key_happens_once(pos):
    headers = {"HTTP_IDEMPOTENCY_KEY": "enrol-42"}
    first = pos.post("/api/v1/members/", {"first_name": "Ann"}, format="json", **headers)
    retry = pos.post("/api/v1/members/", {"first_name": "Ann"}, format="json", **headers)
    other = pos.post("/api/v1/members/", {"first_name": "Bob"}, format="json", **headers)
    assert (first.status_code, retry.status_code, other.status_code) == (201, 200, 409)
    assert retry.json()["card_number"] == first.json()["card_number"]
    assert Member.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"email": "nope"}, "invalid_email", "email"),
        ({"phone": "123"}, "invalid_phone", "phone"),
        ({"birth_date": "31-12-1990"}, "invalid", "birth_date"),
        ({"language": "de"}, "invalid_choice", "language"),
        ({"consents": {"email": "maybe"}}, "invalid", "consents.email"),
    ],
)
def test_bad_enrolment_input_creates_no_member(pos, body, code, field):
    response = pos.post("/api/v1/members/", body, format="json")
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert Member.objects.count() == 0


@pytest.mark.parametrize("key", ["card_number", "email", "phone"])
def test_members_can_be_looked_up_by_card_email_or_phone(pos, member, key):
    member.phone = "+31612345678"
    member.save()
    value = {
        "card_number": member.card_number,
        "email": member.email.upper(),
        "phone": "06-12345678",
    }[key]
    response = pos.get("/api/v1/members/lookup/", {key: value})
    assert response.status_code == 200
    assert response.json()["card_number"] == member.card_number


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"email": "nobody@example.com"}, 404, "member_not_found"),
        ({}, 400, "one_lookup_key_required"),
        ({"email": "a@example.com", "phone": "0612345678"}, 400, "one_lookup_key_required"),
        ({"card_number": "123"}, 400, "invalid_card_number"),
    ],
)
def test_lookups_that_find_nobody_say_why(pos, params, status, code):
    response = pos.get("/api/v1/members/lookup/", params)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_the_summary_shows_balance_and_points_expiring_soon(pos, member, store):
    buy(member, store, "42.00")
    response = pos.get(f"/api/v1/members/{member.card_number}/")
    assert response.status_code == 200
    body = response.json()
    assert body["points_balance"] == 42
    assert body["points_expiring_soon"]["points"] == 0
    assert "by" in body["points_expiring_soon"]


def test_the_ledger_lists_entries_newest_first_with_descriptions(pos, member, store):
    buy(member, store, "10.00", transaction_id="A")
    buy(member, store, "20.00", transaction_id="B")
    response = pos.get(
        f"/api/v1/members/{member.card_number}/ledger/", {"page_size": 1}, HTTP_ACCEPT_LANGUAGE="en"
    )
    body = response.json()
    assert body["count"] == 2
    assert body["next"]
    [entry] = body["results"]
    assert entry["transaction_id"] == "B"
    assert (entry["kind"], entry["points"], entry["balance_after"]) == ("earn", 20, 30)
    assert entry["description"] == "Purchase at Amsterdam Centrum"


def test_an_unknown_ledger_page_is_a_json_404(pos, member):
    response = pos.get(f"/api/v1/members/{member.card_number}/ledger/", {"page": 9})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
