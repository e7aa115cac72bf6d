"""Guards of the merge of two members, raced on PostgreSQL: a till writing to the duplicate's
card while it is merged loses no points, and two merges of one pair never both happen nor
deadlock (docs/architecture.md, "Guards and the tests that defend them")."""

from decimal import Decimal

import pytest
from django.db import OperationalError, transaction

from accounts.models import Member
from campaigns.services import merge as merge_module
from campaigns.services.merge import member_merge
from core.errors import ApplicationError
from points.models import PointAccount
from points.selectors import ledger_mismatches
from points.services import account_lock, points_adjust, points_spend
from points.services import merge as points_merge_module
from tests.concurrency import run_in_parallel
from tests.factories import EarningRuleFactory, MemberFactory, StoreFactory, UserFactory
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
