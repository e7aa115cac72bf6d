"""Returns at any store of the chain (#18): a refund names the purchase by store code and id."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import Store
from points.models import EntryKind, PointAccount, PointsEntry, Refund
from points.services import RefundRequest, refund_record
from tests.factories import StoreFactory
from tests.helpers import buy, pos_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return StoreFactory(code="WEB", name="Webshop", channel=Store.Channel.ONLINE)


def refund_body(**overrides):
    body = {"refund_id": "R1", "amount": "40.00", "store_code": "WEB"}
    body.update(overrides)
    return body


def test_a_shop_refunds_a_purchase_made_online(web, store, pos, member):
    # given 100 points from an online purchase, and 50 from another member's same-id purchase
    buy(member, web, "100.00", transaction_id="T1")
    buy(member, store, "50.00", transaction_id="T1")
    # when the shop refunds 40.00 of the online purchase, naming the web shop
    response = pos.post("/api/v1/purchases/T1/refunds/", refund_body(), format="json")
    # then the online purchase's points are reversed, and the refund records both stores
    assert response.status_code == 201, response.json()
    assert response.json()["points_reversed"] == 40
    refund = Refund.objects.get()
    assert (refund.purchase.store, refund.store) == (web, store)
    reversal = PointsEntry.objects.get(kind=EntryKind.REFUND_REVERSAL)
    assert reversal.purchase == refund.purchase
    assert PointAccount.objects.get(member=member).balance == 110
    call_command("check_ledger")


def test_without_a_store_code_the_refund_is_of_the_keys_own_store(web, store, pos, member):
    buy(member, web, "100.00", transaction_id="T1")
    buy(member, store, "50.00", transaction_id="T1")
    response = pos.post(
        "/api/v1/purchases/T1/refunds/", {"refund_id": "R1", "amount": "50.00"}, format="json"
    )
    assert response.json()["points_reversed"] == 50
    assert Refund.objects.get().purchase.store == store


def test_an_identical_retry_replays_and_refund_ids_are_per_store(web, store, pos, member):
    buy(member, web, "100.00", transaction_id="T1")
    first = pos.post("/api/v1/purchases/T1/refunds/", refund_body(), format="json")
    again = pos.post("/api/v1/purchases/T1/refunds/", refund_body(), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    # the same id with another amount from the same store is a conflict
    conflict = pos.post("/api/v1/purchases/T1/refunds/", refund_body(amount="10.00"), format="json")
    assert (conflict.status_code, conflict.json()["code"]) == (409, "refund_id_conflict")
    # the web shop's own R1 is another refund
    own = pos_client_for(web).post(
        "/api/v1/purchases/T1/refunds/", {"refund_id": "R1", "amount": "10.00"}, format="json"
    )
    assert own.status_code == 201
    assert Refund.objects.count() == 2
    assert PointAccount.objects.get(member=member).balance == 50


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (refund_body(store_code="NOPE"), "store_code"),
        (refund_body(store_code="AMS01"), "transaction_id"),
    ],
)
def test_an_unknown_store_or_purchase_is_not_found_and_records_nothing(
    web, store, pos, member, body, field
):
    buy(member, web, "100.00", transaction_id="T1")
    response = pos.post("/api/v1/purchases/T1/refunds/", body, format="json")
    assert response.status_code == 404
    assert (response.json()["code"], response.json()["field"]) == ("purchase_not_found", field)
    assert not Refund.objects.exists()


def test_the_service_records_the_refunding_store(web, store, member):
    buy(member, web, "100.00", transaction_id="T1")
    outcome = refund_record(
        request=RefundRequest(
            store=store,
            transaction_id="T1",
            refund_id="R9",
            amount=Decimal("100.00"),
            purchase_store_code="WEB",
        )
    )
    assert outcome.receipt.points_reversed == 100
    assert outcome.refund.store == store
    assert outcome.refund.purchase.store == web
