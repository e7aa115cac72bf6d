"""Guards of the merge of two members, raced on PostgreSQL: a till writing to the duplicate's
card while it is merged loses no points, and two merges of one pair never both happen nor
deadlock (docs/architecture.md, "Guards and the tests that defend them")."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import OperationalError, connections, transaction
from django.utils import timezone

from accounts.models import Member
from campaigns.models import Delivery
from campaigns.services import merge as merge_module
from campaigns.services.merge import member_merge
from core.errors import ApplicationError
from points.models import PointAccount
from points.selectors import ledger_mismatches
from points.services import account_lock, points_adjust, points_spend
from points.services import merge as points_merge_module
from tests.concurrency import run_in_parallel
from tests.factories import (
    AutomationFactory,
    EarningRuleFactory,
    MemberFactory,
    StoreFactory,
    UserFactory,
)
from tests.helpers import buy
from tests.markers import postgres_only

from .interleave import Interleave

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def merge(duplicate, survivor, actor):
    with transaction.atomic():
        return member_merge(
            duplicate=Member.objects.get(pk=duplicate.pk),
            survivor=Member.objects.get(pk=survivor.pk),
            reason="two cards",
            actor=actor,
        )


def balances(*members) -> list[int]:
    return [PointAccount.objects.get(member=member).balance for member in members]


@pytest.fixture
def pair():
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    actor = UserFactory()
    duplicate, survivor = MemberFactory(), MemberFactory()
    points_adjust(member=duplicate, points=100, reason="setup", actor=actor)
    points_adjust(member=survivor, points=10, reason="setup", actor=actor)
    return duplicate, survivor, actor


@pytest.mark.parametrize("write", ["purchase", "redemption"])
def test_a_merge_locks_both_point_accounts(monkeypatch, pair, write):
    # given a merge that stops after reading the duplicate's balance, before moving it
    duplicate, survivor, actor = pair
    store = StoreFactory()
    interleave = Interleave()
    monkeypatch.setattr(
        points_merge_module,
        "ledger_append",
        interleave.pause_before(points_merge_module.ledger_append),
    )

    def till():
        if write == "purchase":
            return buy(duplicate, store, "30.00")
        with transaction.atomic():
            return points_spend(account_lock(duplicate.pk), points=60, kind="redemption")

    # when the till writes to the duplicate's card meanwhile
    merged, written = interleave.run(lambda: merge(duplicate, survivor, actor), till)
    # then the till's write waited and was refused (it looks the card up again), and every
    # point is where it belongs: nothing left behind on the merged card
    assert not isinstance(merged, Exception), merged
    assert isinstance(written, ApplicationError), written
    assert written.code == "member_blocked"
    assert balances(duplicate, survivor) == [0, 110]
    assert list(ledger_mismatches()) == []


def test_a_merge_locks_both_members(monkeypatch, pair):
    # given a merge of A into B that stops once it holds the members
    duplicate, survivor, actor = pair
    interleave = Interleave()
    monkeypatch.setattr(
        merge_module,
        "members_lock_for_merge",
        interleave.pause_after(merge_module.members_lock_for_merge),
    )
    # when B is merged into A meanwhile
    first, second = interleave.run(
        lambda: merge(duplicate, survivor, actor), lambda: merge(survivor, duplicate, actor)
    )
    # then only the first happened: the second waited and saw A merged already
    assert not isinstance(first, Exception), first
    assert isinstance(second, ApplicationError), second
    assert second.code == "already_merged"
    assert Member.objects.get(pk=duplicate.pk).merged_into_id == survivor.pk
    assert Member.objects.get(pk=survivor.pk).status == "active"
    assert balances(duplicate, survivor) == [0, 110]


ROUNDS = 8


def test_merges_in_both_directions_and_till_writes_never_deadlock():
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    actor, store = UserFactory(), StoreFactory()
    for _round in range(ROUNDS):
        # given two cards of one customer, each with points
        a, b = MemberFactory(), MemberFactory()
        points_adjust(member=a, points=50, reason="setup", actor=actor)
        points_adjust(member=b, points=70, reason="setup", actor=actor)

        # when a merges into b, b into a, and both cards buy, all at once
        def work(index, a=a, b=b):
            if index == 0:
                return merge(a, b, actor)
            if index == 1:
                return merge(b, a, actor)
            return buy(a if index == 2 else b, store, "10.00")

        results = run_in_parallel(work, 4)
        # then nobody deadlocked, exactly one merge happened, and no point was lost
        assert not [r for r in results if isinstance(r, OperationalError)], results
        merges = [r for r in results[:2] if not isinstance(r, Exception)]
        assert len(merges) == 1, results
        bought = sum(10 for r in results[2:] if not isinstance(r, Exception))
        survivor = merges[0].survivor
        assert balances(merges[0].duplicate) == [0]
        assert balances(survivor) == [120 + bought]
    assert list(ledger_mismatches()) == []


def test_a_merge_and_two_purchases_holding_the_duplicates_offers_never_deadlock(pair):
    # given the duplicate's two offers in their window: U (not converted) and C (converted)
    duplicate, survivor, actor = pair
    automation = AutomationFactory()
    now = timezone.now()
    unconverted, converted = (
        Delivery.objects.create(
            automation=automation,
            member=duplicate,
            period_key=key,
            status=Delivery.Status.SENT,
            converted_at=converted_at,
            offer_expires_at=now + datetime.timedelta(days=7),
        )
        for key, converted_at in (("u", None), ("c", now))
    )
    lock_both = (
        "SELECT id FROM campaigns_delivery WHERE id IN (%s, %s) ORDER BY id FOR NO KEY UPDATE"
    )
    lock_one = "SELECT id FROM campaigns_delivery WHERE id = %s FOR NO KEY UPDATE"
    ids = [unconverted.pk, converted.pk]

    def hold_then_commit(started: threading.Event, release: threading.Event):
        # a purchase's lock prelude: the member's offers in the window, in pk order
        connection = connections.create_connection("default")
        try:
            with connection.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(lock_both, ids)
                started.set()
                release.wait(10)
                cursor.execute("COMMIT")
        finally:
            connection.close()

    results: dict[str, object] = {}
    first_holds, release_first = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_then_commit, args=(first_holds, release_first))
    holder.start()
    first_holds.wait(10)

    def merging():
        try:
            results["merge"] = merge(duplicate, survivor, actor)
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results["merge"] = error
        finally:
            connections["default"].close()

    def second_purchase():
        second = connections.create_connection("default")
        try:
            with second.cursor() as cursor:
                # the same prelude, row by row in pk order, as the statement takes them: a
                # pause between the two rows lets the merge take C meanwhile if it may
                cursor.execute("BEGIN")
                cursor.execute(lock_one, [unconverted.pk])
                time.sleep(0.3)
                cursor.execute(lock_one, [converted.pk])
                cursor.execute("COMMIT")
            results["purchase"] = "done"
        except Exception as error:  # noqa: BLE001 - the test inspects it
            results["purchase"] = error
        finally:
            second.close()

    # when a merge queues behind a first purchase, then a second purchase queues too
    merger = threading.Thread(target=merging)
    merger.start()
    time.sleep(0.5)
    buyer = threading.Thread(target=second_purchase)
    buyer.start()
    time.sleep(0.5)
    release_first.set()
    for thread in (holder, merger, buyer):
        thread.join(30)

    # then neither was aborted as a deadlock, and the offers moved to the survivor
    assert not isinstance(results["merge"], OperationalError), results
    assert results["purchase"] == "done", results
    assert set(Delivery.objects.filter(pk__in=ids).values_list("member_id", flat=True)) == {
        survivor.pk
    }
