"""Bad input anywhere in a request gets our JSON error with a 4xx, and records nothing."""

import pytest
from django.test import override_settings

from accounts.models import Member
from points.models import Purchase, Refund
from tests.factories import RewardFactory
from tests.helpers import issue, ledger_counts, purchase_body

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    "url", ["/api/v1/members/", "/api/v1/purchases/", "/api/v1/checkout/validate/"]
)
def test_json_nested_too_deeply_is_a_json_400(pos, url):
    # when a 2 KB body nests 1,000 levels deep
    response = pos.generic("POST", url, '{"lines": ' + DEEP + "}", content_type="application/json")
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "too_deeply_nested"
    assert "32" in response.json()["message"]
    assert Member.objects.count() == 0


def test_nesting_within_the_limit_is_read_as_usual(pos, member):
    # a string full of brackets is no nesting
    body = purchase_body(member.card_number, transaction_id="[" * 40)
    response = pos.post("/api/v1/purchases/", body, format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_that_are_not_json_are_refused(pos, member, constant):
    payload = f'{{"card_number": "{member.card_number}", "transaction_id": "T1", "amount": {constant}, "currency": "EUR"}}'
    response = pos.generic("POST", "/api/v1/purchases/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert ledger_counts() == (0, 0)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/purchases/T%00X/refunds/",
        "/api/v1/members/1234%00/",
        "/api/v1/members/1234%00/ledger/",
        "/api/v1/members/1234%00/rewards/",
        "/api/v1/members/1234%00/redemptions/",
    ],
)
def test_a_null_character_in_the_path_is_a_json_400(pos, url):
    method = pos.post if url.endswith(("refunds/", "redemptions/")) else pos.get
    response = method(url, {"refund_id": "R", "amount": "1.00"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "null_characters_not_allowed"
    assert Refund.objects.count() == 0


@pytest.mark.parametrize("param", ["card_number", "email", "phone"])
def test_a_null_character_in_a_lookup_is_a_json_400(pos, param):
    response = pos.get("/api/v1/members/lookup/", {param: "a\x00b"})
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (
        "null_characters_not_allowed",
        param,
    )


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_size_limit_is_a_json_413(pos, member):
    body = purchase_body(member.card_number, transaction_id="x" * 2000)
    response = pos.post("/api/v1/purchases/", body, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "request_too_large"
    assert "1000" in response.json()["message"]
    assert Purchase.objects.count() == 0


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("1_000", "invalid"),
        ("١٢٣", "invalid"),  # Arabic-Indic digits
        ("-0", "min_value"),
        ("-0.00", "min_value"),
        ("1e3", "invalid"),
        (" 12.00", "invalid"),
        ("12.", "invalid"),
        ("+12", "invalid"),
        ("0x10", "invalid"),
        (True, "invalid"),
        ([], "invalid"),
        ({}, "invalid"),
    ],
)
def test_amounts_are_plain_decimals_only(pos, member, amount, code):
    response = pos.post(
        "/api/v1/purchases/", purchase_body(member.card_number, amount=amount), format="json"
    )
    assert response.status_code == 400, response.json()
    assert (response.json()["code"], response.json()["field"]) == (code, "amount")
    assert ledger_counts() == (0, 0)


@pytest.mark.parametrize("field", ["store_credit", "lines.0.quantity", "lines.0.amount"])
def test_every_amount_field_is_as_strict(pos, member, field):
    body = purchase_body(member.card_number)
    if field == "store_credit":
        body["store_credit"] = "1_0"
    else:
        line = {"sku": "A", "amount": "1.00", "quantity": "1"}
        line[field.rsplit(".", 1)[1]] = "1_0"
        body["lines"] = [line]
    response = pos.post("/api/v1/purchases/", body, format="json")
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("invalid", field)


@pytest.mark.parametrize("value", [0, 1, "yes", "true", None, "false"])
def test_consents_are_json_booleans_only(pos, value):
    response = pos.post(
        "/api/v1/members/",
        {"email": "anna@example.com", "consents": {"email": value}},
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert response.json()["field"] == "consents.email"
    assert Member.objects.count() == 0


def test_a_blocked_members_codes_are_refused_at_validation_as_at_purchase(pos, member):
    # given a blocked member with an unused code
    code = issue(member, RewardFactory()).code
    Member.objects.filter(pk=member.pk).update(status="blocked")
    body = {"card_number": member.card_number, "amount": "20.00", "codes": [code]}
    # when the till checks the code, then buys with it
    check = pos.post("/api/v1/checkout/validate/", body, format="json")
    buy = pos.post(
        "/api/v1/purchases/", {**body, "transaction_id": "T1", "currency": "EUR"}, format="json"
    )
    # then both answer the same
    assert check.status_code == buy.status_code == 422
    assert check.json()["code"] == buy.json()["code"] == "member_blocked"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page_size": "null"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "٣"}, "page_size"),
        ({"page": "-1"}, "page"),
        ({"page": "abc"}, "page"),
    ],
)
def test_a_ledger_page_out_of_range_is_a_400_naming_it(pos, member, query, field):
    response = pos.get(f"/api/v1/members/{member.card_number}/ledger/", query)
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("invalid", field)


@pytest.mark.parametrize(
    ("key", "code"),
    [("two words", "invalid"), ("tab\there", "invalid"), ("", "blank"), ("  ", "blank")],
)
def test_an_idempotency_key_of_another_shape_than_documented_is_refused(pos, key, code):
    # when an enrolment sends a key the schema does not allow (visible ASCII, no spaces)
    response = pos.post(
        "/api/v1/members/",
        {"email": "anna@example.com", "first_name": "Anna"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    # then it is our JSON 400 naming the header, and nobody is enrolled
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (code, "Idempotency-Key")
    assert Member.objects.count() == 0


def test_amounts_in_dutch_messages_have_a_decimal_comma(pos, member):
    # given a purchase of € 60,00
    pos.post(
        "/api/v1/purchases/",
        purchase_body(member.card_number, transaction_id="T1", amount="60.00"),
        format="json",
    )
    # when a refund asks for more, in Dutch
    response = pos.post(
        "/api/v1/purchases/T1/refunds/",
        {"refund_id": "R1", "amount": "70.00"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    # then the message reads as Dutch money; the field for machines keeps its point
    assert response.status_code == 422
    assert "€\xa060,00" in response.json()["message"]
    assert response.json()["refundable_amount"] == "60.00"


@pytest.mark.parametrize(
    ("path", "field", "body"),
    [
        ("/api/v1/purchases/", "transaction_id", {"transaction_id": 12}),
        ("/api/v1/purchases/", "lines.0.category", {"lines": [{"category": 0, "amount": "1"}]}),
        ("/api/v1/purchases/quote/", "lines.0.sku", {"lines": [{"sku": 7, "amount": "1"}]}),
    ],
)
def test_texts_are_json_strings_only(pos, member, path, field, body):
    # DRF would read 0 as "0"; the schema says string, so a number is refused
    response = pos.post(path, {**purchase_body(member.card_number), **body}, format="json")
    assert response.status_code == 400, response.json()
    assert (response.json()["code"], response.json()["field"]) == ("invalid", field)
    assert ledger_counts() == (0, 0)


def test_a_refund_id_is_a_json_string_only(pos, member):
    bought = pos.post("/api/v1/purchases/", purchase_body(member.card_number), format="json")
    assert bought.status_code == 201
    response = pos.post(
        "/api/v1/purchases/T-1001/refunds/", {"refund_id": 0, "amount": "1.00"}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert (response.json()["code"], response.json()["field"]) == ("invalid", "refund_id")
