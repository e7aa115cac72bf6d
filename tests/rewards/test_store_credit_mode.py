"""`store_credit_mode`: a till may ask to use the store credit that is there (issue #15, 15)."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from points.models import PointsEntry, Purchase
from rewards.models import StoreCreditAccount, StoreCreditEntry
from rewards.services import credit_account_lock, credit_append
from tests.helpers import purchase_body

pytestmark = pytest.mark.django_db


def give_credit(member, amount):
    with transaction.atomic():
        credit_append(credit_account_lock(member.pk), kind="grant", amount=Decimal(amount))


def buy(pos, member, **extra):
    return pos.post(
        "/api/v1/purchases/",
        purchase_body(member.card_number, amount="20.00", **extra),
        format="json",
    )


def credit_of(member) -> Decimal:
    return StoreCreditAccount.objects.get(member=member).balance


def test_exact_asking_more_than_there_is_is_refused_and_records_nothing(pos, member):
    # given €5 of credit
    give_credit(member, "5.00")
    # when the till asks for €10, exactly
    response = buy(pos, member, store_credit="10.00", store_credit_mode="exact")
    # then the purchase is refused as before, and nothing changed
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"], body["store_credit_available"]) == (
        "insufficient_store_credit",
        "store_credit",
        "5.00",
    )
    assert body["message"]
    assert (Purchase.objects.count(), PointsEntry.objects.count()) == (0, 0)
    assert credit_of(member) == Decimal("5.00")


def test_without_a_mode_asking_more_than_there_is_is_still_refused(pos, member):
    give_credit(member, "5.00")
    response = buy(pos, member, store_credit="10.00")
    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_store_credit"
    assert Purchase.objects.count() == 0


def test_available_uses_all_that_is_there_when_there_is_less(pos, member):
    # given €5 of credit
    give_credit(member, "5.00")
    # when the till asks for up to €10 of what is available
    response = buy(pos, member, store_credit="10.00", store_credit_mode="available")
    # then the €5 is used, the rest is paid, and the answer says so
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["store_credit_used"], body["amount_payable"]) == ("5.00", "15.00")
    assert body["store_credit"] == {
        "requested": "10.00",
        "available": "5.00",
        "used": "5.00",
        "reason": None,
        "mode": "available",
    }
    assert body["points_earned"] == 15  # on what was paid in money
    assert credit_of(member) == Decimal("0.00")
    purchase = Purchase.objects.get()
    assert purchase.store_credit_used == Decimal("5.00")
    spend = StoreCreditEntry.objects.get(kind="spend")
    assert (spend.amount, spend.purchase_id) == (Decimal("-5.00"), purchase.pk)
    call_command("check_ledger")


def test_available_with_enough_credit_uses_what_was_asked(pos, member):
    give_credit(member, "30.00")
    response = buy(pos, member, store_credit="10.00", store_credit_mode="available")
    assert response.status_code == 201, response.json()
    assert response.json()["store_credit_used"] == "10.00"
    assert credit_of(member) == Decimal("20.00")


def test_available_never_uses_more_than_the_basket(pos, member):
    # given more credit than the purchase costs, and a till asking for "all of it"
    give_credit(member, "50.00")
    response = buy(pos, member, store_credit="50.00", store_credit_mode="available")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["store_credit_used"], body["amount_payable"]) == ("20.00", "0.00")
    assert credit_of(member) == Decimal("30.00")


@pytest.mark.parametrize("has_account", [False, True], ids=["never_had_credit", "spent_it_all"])
def test_available_with_no_credit_uses_none_and_still_records_the_purchase(
    pos, member, has_account
):
    # given a member without store credit
    if has_account:
        give_credit(member, "5.00")
        with transaction.atomic():
            credit_append(credit_account_lock(member.pk), kind="adjustment", amount=Decimal("-5"))
    # when
    response = buy(pos, member, store_credit="10.00", store_credit_mode="available")
    # then the purchase is recorded and paid in full; no credit entry is written
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["store_credit_used"], body["amount_payable"]) == ("0.00", "20.00")
    assert body["store_credit"]["used"] == "0.00"
    assert body["store_credit"]["reason"] is None
    assert body["points_earned"] == 20
    assert Purchase.objects.get().store_credit_used == Decimal("0.00")
    assert not StoreCreditEntry.objects.filter(kind="spend").exists()
    call_command("check_ledger")


def test_an_identical_retry_replays_the_answer_and_spends_once(pos, member):
    give_credit(member, "5.00")
    first = buy(pos, member, store_credit="10.00", store_credit_mode="available")
    assert first.status_code == 201
    # when the till sends the same purchase again
    again = buy(pos, member, store_credit="10.00", store_credit_mode="available")
    # then it gets the first answer, and the credit was spent once
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert StoreCreditEntry.objects.filter(kind="spend").count() == 1
    assert credit_of(member) == Decimal("0.00")


def test_the_same_transaction_with_another_mode_is_a_conflict(pos, member):
    give_credit(member, "5.00")
    assert buy(pos, member, store_credit="10.00", store_credit_mode="available").status_code == 201
    response = buy(pos, member, store_credit="10.00", store_credit_mode="exact")
    assert response.status_code == 409
    assert response.json()["code"] == "transaction_id_conflict"


def test_an_explicit_exact_mode_replays_a_purchase_sent_without_one(pos, member):
    # "exact" is the default: saying it changes nothing, also for idempotency
    give_credit(member, "15.00")
    first = buy(pos, member, store_credit="10.00")
    again = buy(pos, member, store_credit="10.00", store_credit_mode="exact")
    assert (first.status_code, again.status_code) == (201, 200)


@pytest.mark.parametrize("mode", ["all", "", "AVAILABLE", 1, None])
@pytest.mark.parametrize("path", ["/api/v1/purchases/", "/api/v1/checkout/validate/"])
def test_an_unknown_mode_is_400_naming_the_field_and_records_nothing(pos, member, mode, path):
    give_credit(member, "5.00")
    body = purchase_body(member.card_number, store_credit="10.00", store_credit_mode=mode)
    if "validate" in path:
        del body["transaction_id"]
    response = pos.post(path, body, format="json")
    assert response.status_code == 400
    answer = response.json()
    assert answer["field"] == "store_credit_mode"
    assert answer["code"] in ("invalid_choice", "null")
    assert answer["message"]
    assert Purchase.objects.count() == 0
    assert credit_of(member) == Decimal("5.00")


def test_the_quote_and_the_check_answer_what_the_purchase_would_use(pos, member):
    give_credit(member, "5.00")
    quote = pos.post(
        "/api/v1/purchases/quote/",
        purchase_body(
            member.card_number, amount="20.00", store_credit="10.00", store_credit_mode="available"
        ),
        format="json",
    )
    check = pos.post(
        "/api/v1/checkout/validate/",
        {
            "card_number": member.card_number,
            "amount": "20.00",
            "store_credit": "10.00",
            "store_credit_mode": "available",
        },
        format="json",
    )
    assert quote.status_code == check.status_code == 200
    assert (quote.json()["store_credit_used"], quote.json()["amount_payable"]) == ("5.00", "15.00")
    assert check.json()["store_credit"]["used"] == "5.00"
    assert check.json()["amount_payable"] == "15.00"
    assert Purchase.objects.count() == 0
    assert credit_of(member) == Decimal("5.00")


def test_the_service_refuses_an_unknown_mode(member):
    from core.errors import InvalidInput
    from rewards.services import checkout_evaluate

    with pytest.raises(InvalidInput) as refused:
        checkout_evaluate(
            member=member,
            account=None,
            amount=Decimal("10.00"),
            store_credit=Decimal("5.00"),
            store_credit_mode="most",
        )
    assert refused.value.field == "store_credit_mode"


def test_the_schema_documents_the_mode_and_what_was_used():
    from tests.api.openapi import api_schema

    components = api_schema()["components"]["schemas"]
    assert components["StoreCreditModeEnum"]["enum"] == ["exact", "available"]
    for name in ("PurchaseInputRequest", "QuoteInputRequest", "CheckoutInputRequest"):
        field = components[name]["properties"]["store_credit_mode"]
        assert field["default"] == "exact"
        assert "available" in field["description"]
    verdict = components["StoreCreditVerdictOutput"]
    assert {"used", "mode"} <= set(verdict["required"])
