import pytest
from django.core.management import call_command
from django.db import transaction

from points.models import PointAccount, PointsEntry, Refund
from points.services import account_lock, points_spend
from tests.helpers import buy, purchase_body

pytestmark = pytest.mark.django_db


def refund(pos, transaction_id, refund_id, amount, **extra):
    return pos.post(
        f"/api/v1/purchases/{transaction_id}/refunds/",
        {"refund_id": refund_id, "amount": amount, **extra},
        format="json",
    )


def test_a_partial_refund_reverses_points_in_proportion(pos, member, store):
    buy(member, store, "100.00", transaction_id="T1")
    # when
    response = refund(pos, "T1", "R1", "25.00")
    # then
    assert response.status_code == 201, response.json()
    assert response.json()["points_reversed"] == 25
    assert response.json()["points_balance"] == 75
    entry = PointsEntry.objects.get(kind="refund_reversal")
    assert entry.points == -25
    assert entry.refund.refund_id == "R1"


def test_refunding_everything_in_thirds_leaves_no_rounding_residue(pos, member, store):
    # given a purchase of 10.00 earning 10 points
    buy(member, store, "10.00", transaction_id="T1")
    # when it is refunded in three parts that do not divide evenly
    reversed_points = [
        refund(pos, "T1", f"R{index}", amount).json()["points_reversed"]
        for index, amount in enumerate(["3.33", "3.33", "3.34"])
    ]
    # then the parts round down and the last one takes exactly what is left
    assert reversed_points == [3, 3, 4]
    assert sum(reversed_points) == 10
    assert PointAccount.objects.get(member=member).balance == 0


def test_many_small_refunds_reverse_exactly_the_points_earned(pos, member, store):
    buy(member, store, "7.77", transaction_id="T1")  # 7 points
    reversed_points = [
        refund(pos, "T1", f"R{index}", "1.11").json()["points_reversed"] for index in range(7)
    ]
    assert reversed_points == [1, 1, 1, 1, 1, 1, 1]
    assert PointAccount.objects.get(member=member).balance == 0


def test_a_refund_beyond_the_purchase_amount_is_refused(pos, member, store):
    buy(member, store, "20.00", transaction_id="T1")
    refund(pos, "T1", "R1", "15.00")
    # when
    response = refund(pos, "T1", "R2", "5.01")
    # then
    assert response.status_code == 422
    assert response.json()["code"] == "refund_exceeds_purchase"
    assert response.json()["field"] == "amount"
    assert response.json()["refundable_amount"] == "5.00"
    assert Refund.objects.count() == 1


def test_a_refund_is_idempotent_on_its_refund_id(pos, member, store):
    buy(member, store, "20.00", transaction_id="T1")
    first = refund(pos, "T1", "R1", "10.00")
    retry = refund(pos, "T1", "R1", "10.00")
    different = refund(pos, "T1", "R1", "11.00")
    assert (first.status_code, retry.status_code, different.status_code) == (201, 200, 409)
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert different.json()["code"] == "refund_id_conflict"
    assert PointsEntry.objects.filter(kind="refund_reversal").count() == 1


def test_a_purchase_of_another_store_cannot_be_refunded(pos, other_pos, member, store):
    buy(member, store, "20.00", transaction_id="T1")
    response = refund(other_pos, "T1", "R1", "10.00")
    assert response.status_code == 404
    assert response.json()["code"] == "purchase_not_found"
    assert Refund.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"refund_id": "R1", "amount": "0.00"}, "min_value", "amount"),
        ({"refund_id": "R1", "amount": "-1.00"}, "min_value", "amount"),
        ({"refund_id": "R1", "amount": "1.001"}, "max_decimal_places", "amount"),
        ({"amount": "1.00"}, "required", "refund_id"),
        ({"refund_id": "R1"}, "required", "amount"),
    ],
)
def test_bad_refund_input_records_nothing(pos, member, store, body, code, field):
    buy(member, store, "20.00", transaction_id="T1")
    response = pos.post("/api/v1/purchases/T1/refunds/", body, format="json")
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert Refund.objects.count() == 0


def test_refunding_spent_points_makes_the_balance_negative_and_flags_the_member(pos, member, store):
    # given the member spent the points of a purchase
    buy(member, store, "50.00", transaction_id="T1")
    with transaction.atomic():
        points_spend(account_lock(member.pk), points=40, kind="redemption", note="test")
    # when the purchase is refunded in full
    response = refund(pos, "T1", "R1", "50.00")
    # then
    assert response.json()["points_balance"] == -40
    account = PointAccount.objects.get(member=member)
    assert account.balance == -40
    assert account.flagged_at is not None
    call_command("check_ledger")  # the ledger still adds up


def test_the_purchase_answer_is_replayed_unchanged_after_a_refund(pos, member):
    body = purchase_body(member.card_number, transaction_id="T9", amount="30.00")
    first = pos.post("/api/v1/purchases/", body, format="json").json()
    refund(pos, "T9", "R1", "30.00")
    assert pos.post("/api/v1/purchases/", body, format="json").json() == first
