import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from points.models import PointsEntry, Purchase
from tests.factories import EarningRuleFactory
from tests.helpers import ledger_counts, purchase_body

pytestmark = pytest.mark.django_db


def test_a_purchase_earns_one_point_per_whole_euro(pos, member):
    # when
    response = pos.post(
        "/api/v1/purchases/", purchase_body(member.card_number, amount="24.95"), format="json"
    )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["points_earned"] == 24
    assert body["points_balance"] == 24
    assert body["explanation"] == [
        {
            "source": "rule",
            "source_id": body["explanation"][0]["source_id"],
            "label": "1 punt per hele euro",
            "points": 24,
        }
    ]
    entry = PointsEntry.objects.get()
    assert (entry.kind, entry.points, entry.balance_after) == ("earn", 24, 24)


def test_the_explanation_speaks_the_language_the_till_asks_for(pos, member):
    response = pos.post(
        "/api/v1/purchases/",
        purchase_body(member.card_number),
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json()["explanation"][0]["label"] == "1 point per whole euro"


def test_an_identical_retry_replays_the_first_answer(pos, member):
    body = purchase_body(member.card_number)
    first = pos.post("/api/v1/purchases/", body, format="json")
    # when
    retry = pos.post("/api/v1/purchases/", body, format="json")
    # then
    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert ledger_counts() == (1, 1)


def test_the_same_transaction_id_with_another_body_is_a_conflict(pos, member):
    pos.post("/api/v1/purchases/", purchase_body(member.card_number), format="json")
    response = pos.post(
        "/api/v1/purchases/", purchase_body(member.card_number, amount="99.00"), format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "transaction_id_conflict"
    assert response.json()["field"] == "transaction_id"
    assert ledger_counts() == (1, 1)


def test_the_same_transaction_id_from_another_store_is_another_purchase(pos, other_pos, member):
    body = purchase_body(member.card_number)
    assert pos.post("/api/v1/purchases/", body, format="json").status_code == 201
    response = other_pos.post("/api/v1/purchases/", body, format="json")
    assert response.status_code == 201
    assert response.json()["points_balance"] == 48
    assert Purchase.objects.count() == 2


def test_a_quote_tells_what_a_purchase_would_earn_and_records_nothing(pos, member):
    response = pos.post(
        "/api/v1/purchases/quote/",
        {"card_number": member.card_number, "amount": "100.00", "currency": "EUR"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["points_earned"] == 100
    assert response.json()["points_balance_after"] == 100
    assert ledger_counts() == (0, 0)


def test_an_offline_till_sending_late_gets_the_rules_of_that_moment(pos, member):
    # given a double-points weekend that ended yesterday
    now = timezone.now()
    EarningRuleFactory(
        kind="multiplier",
        multiplier=Decimal("2"),
        name_nl="Dubbele punten",
        valid_from=now - datetime.timedelta(days=3),
        valid_until=now - datetime.timedelta(days=1),
    )
    during = (now - datetime.timedelta(days=2)).isoformat()
    # when the till sends a purchase made during the weekend, and one made today
    late = pos.post(
        "/api/v1/purchases/",
        purchase_body(member.card_number, transaction_id="A", amount="10.00", occurred_at=during),
        format="json",
    )
    today = pos.post(
        "/api/v1/purchases/",
        purchase_body(member.card_number, transaction_id="B", amount="10.00"),
        format="json",
    )
    # then
    assert late.json()["points_earned"] == 20
    assert today.json()["points_earned"] == 10


def test_a_purchase_of_less_than_a_euro_earns_nothing_and_writes_no_entry(pos, member):
    response = pos.post(
        "/api/v1/purchases/", purchase_body(member.card_number, amount="0.99"), format="json"
    )
    assert response.status_code == 201
    assert response.json()["points_earned"] == 0
    assert PointsEntry.objects.count() == 0
    assert Purchase.objects.count() == 1


def test_a_blocked_member_earns_nothing(pos, member):
    member.status = "blocked"
    member.save()
    response = pos.post("/api/v1/purchases/", purchase_body(member.card_number), format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "member_blocked"
    assert ledger_counts() == (0, 0)


def _mistyped(card_number: str) -> str:
    last = str((int(card_number[-1]) + 1) % 10)
    return card_number[:-1] + last


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"card_number": "MISTYPED"}, 400, "invalid_card_number", "card_number"),
        ({"card_number": "12345"}, 400, "invalid_card_number", "card_number"),
        ({"card_number": "UNKNOWN"}, 404, "member_not_found", "card_number"),
        ({"amount": "-5.00"}, 400, "min_value", "amount"),
        ({"amount": "abc"}, 400, "invalid", "amount"),
        ({"amount": "10.005"}, 400, "max_decimal_places", "amount"),
        ({"amount": "NaN"}, 400, "invalid", "amount"),
        ({"amount": "Infinity"}, 400, "invalid", "amount"),
        ({"amount": "12345678901234.00"}, 400, "max_digits", "amount"),
        ({"amount": None}, 400, "null", "amount"),
        ({"amount": True}, 400, "invalid", "amount"),
        ({"currency": "USD"}, 400, "currency_mismatch", "currency"),
        ({"currency": "EURO"}, 400, "max_length", "currency"),
        ({"transaction_id": ""}, 400, "blank", "transaction_id"),
        ({"transaction_id": "x" * 65}, 400, "max_length", "transaction_id"),
        ({"channel": "telepathy"}, 400, "invalid_choice", "channel"),
        ({"occurred_at": "yesterday"}, 400, "invalid", "occurred_at"),
        ({"occurred_at": "2999-01-01T12:00:00+01:00"}, 400, "occurred_in_future", "occurred_at"),
        ({"occurred_at": "2001-01-01T12:00:00+01:00"}, 400, "too_old", "occurred_at"),
        ({"lines": [{"sku": "A", "amount": "30.00"}]}, 400, "lines_exceed_amount", "lines"),
        ({"lines": [{"sku": "A"}]}, 400, "required", "lines.0.amount"),
        ({"lines": "not a list"}, 400, "not_a_list", "lines"),
        (
            {"lines": [{"sku": "A", "amount": "1.00", "quantity": "-1"}]},
            400,
            "min_value",
            "lines.0.quantity",
        ),
    ],
)
def test_bad_input_is_refused_with_a_json_error_and_records_nothing(
    pos, member, overrides, status, code, field
):
    body = purchase_body(member.card_number)
    if overrides.get("card_number") == "MISTYPED":
        overrides = {**overrides, "card_number": _mistyped(member.card_number)}
    if overrides.get("card_number") == "UNKNOWN":
        from accounts.cards import generate_card_number

        overrides = {**overrides, "card_number": generate_card_number()}
    body.update(overrides)
    # when
    response = pos.post("/api/v1/purchases/", body, format="json")
    # then
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert response.json()["field"] == field
    assert response.json()["message"]
    assert ledger_counts() == (0, 0)


@pytest.mark.parametrize("missing", ["transaction_id", "card_number", "amount", "currency"])
def test_each_missing_field_is_named(pos, member, missing):
    body = purchase_body(member.card_number)
    del body[missing]
    response = pos.post("/api/v1/purchases/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "required"
    assert response.json()["field"] == missing
    assert ledger_counts() == (0, 0)


def test_several_problems_are_all_listed(pos):
    response = pos.post("/api/v1/purchases/", {"amount": "x"}, format="json")
    assert response.status_code == 400
    fields = {problem["field"] for problem in response.json()["errors"]}
    assert fields == {"transaction_id", "card_number", "amount", "currency"}


@pytest.mark.parametrize(
    ("payload", "content_type", "status", "code"),
    [
        ('{"amount": "10.00",', "application/json", 400, "malformed_json"),
        ("[1, 2, 3]", "application/json", 400, "invalid"),
        ('"just a string"', "application/json", 400, "invalid"),
        ("amount=10", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
def test_malformed_bodies_get_a_json_error(pos, payload, content_type, status, code):
    response = pos.generic("POST", "/api/v1/purchases/", payload, content_type=content_type)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert ledger_counts() == (0, 0)


def test_amounts_may_be_sent_as_json_numbers(pos, member):
    response = pos.post(
        "/api/v1/purchases/", purchase_body(member.card_number, amount=12.5), format="json"
    )
    assert response.status_code == 201
    assert response.json()["amount"] == "12.50"
