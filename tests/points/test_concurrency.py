"""Races on real PostgreSQL connections: what must hold when every till calls at once."""

import pytest
from django.core.management import call_command

from core.errors import Conflict
from points.models import Activity, PointAccount, PointsEntry, Purchase
from tests.concurrency import run_in_parallel
from tests.factories import ActivityTypeFactory, MemberFactory, StoreFactory
from tests.helpers import buy, pos_client_for, purchase_body
from tests.markers import postgres_only

# serialized_rollback: the flush after each test would also remove what migrations installed
# (the default earning rule, the staff roles); this puts it back.
pytestmark = [postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_parallel_purchases_for_one_member_lose_no_update():
    store, member = StoreFactory(), MemberFactory()
    # when 12 tills record different purchases for the same member at once
    results = run_in_parallel(
        lambda index: buy(member, store, "10.00", transaction_id=f"P{index}"), 12
    )
    # then every one counted
    assert not [result for result in results if isinstance(result, Exception)]
    assert PointAccount.objects.get(member=member).balance == 120
    balances = list(PointsEntry.objects.order_by("id").values_list("balance_after", flat=True))
    assert balances == list(range(10, 121, 10))
    call_command("check_ledger")


def test_parallel_retries_of_one_transaction_are_recorded_once():
    store, member = StoreFactory(), MemberFactory()
    body = purchase_body(member.card_number, transaction_id="RETRY-1", amount="33.00")
    clients = [pos_client_for(store) for _ in range(8)]
    # when the till fires the same request 8 times at once
    responses = run_in_parallel(
        lambda index: clients[index].post("/api/v1/purchases/", body, format="json"), 8
    )
    # then one is created, the others replay the same answer
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 7 + [201]
    assert all(response.json() == responses[0].json() for response in responses)
    assert responses[0].json()["points_earned"] == 33
    assert Purchase.objects.count() == 1
    assert PointsEntry.objects.count() == 1
    assert PointAccount.objects.get(member=member).balance == 33


def test_one_transaction_id_raced_for_two_members_records_only_one():
    store = StoreFactory()
    members = [MemberFactory() for _ in range(6)]
    results = run_in_parallel(
        lambda index: buy(members[index], store, "10.00", transaction_id="SAME"), 6
    )
    conflicts = [result for result in results if isinstance(result, Conflict)]
    assert len(conflicts) == 5
    assert Purchase.objects.count() == 1
    assert PointsEntry.objects.count() == 1


def test_parallel_partial_refunds_never_reverse_more_than_was_earned():
    store, member = StoreFactory(), MemberFactory()
    buy(member, store, "10.00", transaction_id="T1")
    clients = [pos_client_for(store) for _ in range(10)]
    responses = run_in_parallel(
        lambda index: clients[index].post(
            "/api/v1/purchases/T1/refunds/",
            {"refund_id": f"R{index}", "amount": "1.00"},
            format="json",
        ),
        10,
    )
    assert sorted(response.status_code for response in responses) == [201] * 10
    assert PointAccount.objects.get(member=member).balance == 0
    assert Purchase.objects.get().points_reversed == 10


def test_parallel_activities_cannot_slip_past_the_cap():
    store, member = StoreFactory(), MemberFactory()
    ActivityTypeFactory(code="review", points=10, cap=3, cap_period="day")
    clients = [pos_client_for(store) for _ in range(8)]
    responses = run_in_parallel(
        lambda index: clients[index].post(
            "/api/v1/activities/",
            {
                "card_number": member.card_number,
                "activity_type": "review",
                "reference": f"r{index}",
            },
            format="json",
        ),
        8,
    )
    assert sorted(response.status_code for response in responses) == [201] * 3 + [422] * 5
    assert Activity.objects.count() == 3
    assert PointAccount.objects.get(member=member).balance == 30
