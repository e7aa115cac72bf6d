"""Guards of pending points (#18): the release job's account lock, its job lock and the
constraints, each in a test that fails when that guard alone is removed."""

import contextlib
import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Store
from points.models import EntryKind, LoyaltyProgram, PointAccount, PointsEntry
from points.services import RefundRequest, points_release_due, refund_record
from points.services import pending as pending_module
from tests.concurrency import held_elsewhere
from tests.factories import MemberFactory, StoreFactory
from tests.helpers import buy
from tests.markers import postgres_only

from .interleave import Interleave

race = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def online_purchase(member, amount="100.00", transaction_id="W1"):
    program = LoyaltyProgram.current()
    program.return_window_days_online = 14
    program.save()
    web = StoreFactory(code="WEB", channel=Store.Channel.ONLINE)
    outcome = buy(member, web, amount, transaction_id=transaction_id)
    return web, outcome.receipt.pending_until


@contextlib.contextmanager
def no_job_lock(name):
    yield True


@postgres_only
@race
def test_a_refund_racing_the_release_either_cancels_or_reverses_never_both(monkeypatch):
    # given 100 pending points that are due, and a release that stops before moving the balances
    member = MemberFactory()
    web, due = online_purchase(member)
    interleave = Interleave()
    monkeypatch.setattr(
        pending_module,
        "update_from_values",
        interleave.pause_before(pending_module.update_from_values),
    )
    # when the purchase is refunded in full meanwhile
    released, refunded = interleave.run(
        lambda: points_release_due(now=due),
        lambda: refund_record(
            request=RefundRequest(
                store=web, transaction_id="W1", refund_id="R1", amount=Decimal("100.00")
            )
        ),
    )
    # then the refund waited for the release and reversed the released points
    assert not isinstance(released, Exception), released
    assert not isinstance(refunded, Exception), refunded
    assert released.points == 100
    assert refunded.receipt.points_reversed == 100
    assert PointsEntry.objects.filter(kind=EntryKind.REFUND_REVERSAL).count() == 1
    assert not PointsEntry.objects.filter(kind=EntryKind.PENDING_CANCEL).exists()
    account = PointAccount.objects.get(member=member)
    assert (account.balance, account.pending_balance) == (0, 0)
    call_command("check_ledger")


@postgres_only
@race
def test_two_releases_at_once_release_once(monkeypatch):
    # given 100 due pending points, and two runs without the job lock (the account lock alone)
    member = MemberFactory()
    _web, due = online_purchase(member)
    monkeypatch.setattr(pending_module, "job_lock", no_job_lock)
    interleave = Interleave()
    monkeypatch.setattr(
        pending_module,
        "update_from_values",
        interleave.pause_before(pending_module.update_from_values),
    )
    # when both run, the first stopping inside its batch
    first, second = interleave.run(
        lambda: points_release_due(now=due), lambda: points_release_due(now=due)
    )
    # then the points are released once, and neither run failed
    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    assert (first.points, second.points) == (100, 0)
    assert PointsEntry.objects.filter(kind=EntryKind.RELEASE).count() == 1
    account = PointAccount.objects.get(member=member)
    assert (account.balance, account.pending_balance) == (100, 0)


@race
def test_a_release_skips_while_another_run_holds_the_job():
    member = MemberFactory()
    _web, due = online_purchase(member)
    with held_elsewhere(pending_module.JOB):
        run = points_release_due(now=due)
    assert run.skipped
    assert PointAccount.objects.get(member=member).balance == 0


@pytest.mark.django_db
def test_the_database_refuses_releasing_pending_points_twice():
    # given released pending points
    member = MemberFactory()
    _web, due = online_purchase(member)
    points_release_due(now=due)
    release = PointsEntry.objects.get(kind=EntryKind.RELEASE)
    # when a second release of the same EARN is written past the service
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            account=release.account,
            kind=EntryKind.RELEASE,
            points=100,
            pending_points=-100,
            balance_after=200,
            corrects=release.corrects,
        )
    # then there is one release
    assert PointsEntry.objects.filter(kind=EntryKind.RELEASE).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_pending_points_below_zero():
    member = MemberFactory()
    online_purchase(member)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointAccount.objects.filter(member=member).update(pending_balance=-1)
    assert PointAccount.objects.get(member=member).pending_balance == 100


@pytest.mark.django_db
def test_the_database_refuses_pending_points_without_a_release_date():
    member = MemberFactory()
    online_purchase(member)
    earn = PointsEntry.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            account=earn.account,
            kind=EntryKind.EARN,
            points=0,
            pending_points=5,
            balance_after=0,
            effective_at=timezone.now() - datetime.timedelta(days=1),
        )


@postgres_only
@race
def test_unwinding_locks_the_deliveries_so_a_cancelled_one_is_never_given(monkeypatch):
    # given a first-purchase bonus not given yet, of a purchase refunded in full
    from campaigns.models import Delivery
    from campaigns.services import deliveries_fulfil, deliveries_unwind_for_purchase
    from campaigns.services import unwinding as unwinding_module
    from tests.factories import AutomationFactory

    AutomationFactory(trigger="first_purchase", days=None, reward=None, bonus_points=25)
    from core import outbox

    member = MemberFactory()
    store = StoreFactory()
    # No worker: the jobs stay queued, so the test runs the unwinding and the fulfilment itself.
    monkeypatch.setattr(outbox, "publish", lambda job_ids: 0)
    outcome = buy(member, store, "10.00", transaction_id="F1")
    refund_record(
        request=RefundRequest(
            store=store, transaction_id="F1", refund_id="R1", amount=Decimal("10.00")
        )
    )
    delivery = Delivery.objects.get()
    assert delivery.fulfilled_at is None
    interleave = Interleave()
    monkeypatch.setattr(
        unwinding_module, "_unwind", interleave.pause_before(unwinding_module._unwind)
    )
    # when the unwinding and the fulfilment of that delivery run at once
    unwound, fulfilled = interleave.run(
        lambda: deliveries_unwind_for_purchase(outcome.purchase.pk),
        lambda: deliveries_fulfil([delivery.pk], queue_sends=False),
    )
    # then the delivery is cancelled and its bonus never given
    assert unwound == {"cancelled": 1}, unwound
    assert not isinstance(fulfilled, Exception), fulfilled
    delivery.refresh_from_db()
    assert (delivery.unwound, delivery.bonus_entry_id) == ("cancelled", None)
    assert PointAccount.objects.get(member=member).balance == 0
