"""Guards of points: each row lock raced on PostgreSQL, each constraint hit past the services.

Every test here fails when its guard alone is removed (docs/architecture.md, "Guards and the
tests that defend them").
"""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from points.models import Activity, PointAccount, PointsEntry, Purchase, Refund
from points.services import (
    RefundRequest,
    account_lock,
    activity_record,
    points_expire_due,
    points_spend,
    refund_record,
)
from points.services import expiry as expiry_module
from points.services import refunds as refunds_module
from points.services import tiers as tiers_module
from points.services.tiers import tiers_evaluate_due
from tests.factories import ActivityTypeFactory, MemberFactory, StoreFactory, TierFactory
from tests.helpers import buy
from tests.markers import postgres_only

from .interleave import Interleave, account_read_without_lock

race = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def spend(member, points):
    with transaction.atomic():
        return points_spend(account_lock(member.pk), points=points, kind="redemption")


# Row locks


@postgres_only
@race
def test_expiry_locks_the_accounts_it_expires(monkeypatch):
    # given 100 points, all past their date, and an expiry run that stops after reading the balance
    store, member = StoreFactory(), MemberFactory()
    buy(member, store, "100.00", occurred_at=timezone.now() - datetime.timedelta(days=80))
    later = timezone.now() + datetime.timedelta(days=31 * 25)
    interleave = Interleave()
    monkeypatch.setattr(
        expiry_module,
        "update_from_values",
        interleave.pause_before(expiry_module.update_from_values),
    )
    # when the member spends the same 100 points meanwhile
    expired, spent = interleave.run(
        lambda: points_expire_due(now=later), lambda: spend(member, 100)
    )
    # then the points went once: expired (the spend found nothing left), never below zero
    assert expired.points == 100
    assert isinstance(spent, Exception)
    assert PointAccount.objects.get(member=member).balance == 0


@postgres_only
@race
def test_tier_evaluation_locks_the_accounts_it_moves(monkeypatch):
    # given a member without a tier, and an evaluation that stops before writing the entry tier
    TierFactory(rank=1, threshold=0)
    silver = TierFactory(rank=2, threshold=500)
    store, member = StoreFactory(), MemberFactory()
    interleave = Interleave()
    monkeypatch.setattr(
        tiers_module, "_record_moves", interleave.pause_before(tiers_module._record_moves)
    )
    # when the member's purchase reaches silver meanwhile
    evaluated, bought = interleave.run(
        lambda: tiers_evaluate_due(), lambda: buy(member, store, 600)
    )
    # then the evaluation did not overwrite the upgrade with what it read before
    assert not isinstance(evaluated, Exception), evaluated
    assert not isinstance(bought, Exception), bought
    assert PointAccount.objects.get(member=member).tier == silver


@postgres_only
@race
def test_a_refund_locks_the_purchase(monkeypatch):
    # given a purchase of 10.00 (10 points), and refunds that read the account without locking it
    # (the account lock serialises them too today; this test sees the purchase lock alone)
    store, member = StoreFactory(), MemberFactory()
    buy(member, store, "10.00", transaction_id="T1")
    monkeypatch.setattr(refunds_module, "account_lock", account_read_without_lock)
    interleave = Interleave()
    monkeypatch.setattr(
        refunds_module, "_refund_locked", interleave.pause_before(refunds_module._refund_locked)
    )

    def refund(refund_id):
        return refund_record(
            request=RefundRequest(
                store=store, transaction_id="T1", refund_id=refund_id, amount=Decimal("1.00")
            )
        )

    # when two partial refunds of 1.00 run at once
    results = interleave.run(lambda: refund("R1"), lambda: refund("R2"))
    # then both count: neither wrote over the other's refunded amount and reversed points
    assert not [result for result in results if isinstance(result, Exception)], results
    purchase = Purchase.objects.get()
    assert purchase.refunded_amount == Decimal("2.00")
    assert purchase.points_reversed == 2


# Constraints: written past the services, which check the same thing first


@pytest.mark.django_db
def test_the_database_refuses_a_refund_id_twice_for_one_purchase_and_store(store, member):
    # given a recorded refund R1
    buy(member, store, "10.00", transaction_id="T1")
    refund_record(
        request=RefundRequest(
            store=store, transaction_id="T1", refund_id="R1", amount=Decimal("1.00")
        )
    )
    # when R1 is written again past the service, by the same store
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(
            purchase=Purchase.objects.get(), store=store, refund_id="R1", amount=Decimal("1")
        )
    # then it exists once
    assert Refund.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_refund_that_is_not_positive(store, member):
    buy(member, store, "10.00", transaction_id="T1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(
            purchase=Purchase.objects.get(), store=store, refund_id="R1", amount=Decimal("0")
        )
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_refunding_more_than_the_purchase(store, member):
    buy(member, store, "10.00", transaction_id="T1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Purchase.objects.update(refunded_amount=Decimal("10.01"))
    assert Purchase.objects.get().refunded_amount == Decimal("0.00")


@pytest.mark.django_db
def test_the_database_refuses_a_negative_purchase_amount(store, member):
    buy(member, store, "10.00", transaction_id="T1")
    # (refunded stays within the amount: only the sign is wrong)
    with pytest.raises(IntegrityError), transaction.atomic():
        Purchase.objects.update(amount=Decimal("-1.00"), refunded_amount=Decimal("-2.00"))
    assert Purchase.objects.get().amount == Decimal("10.00")


@pytest.mark.django_db
def test_the_database_refuses_an_activity_reference_twice(store, member):
    # given a review recorded with reference r1
    review = ActivityTypeFactory(code="review", points=10)
    activity_record(member=member, activity_type=review, reference="r1", store=store)
    # when it is written again past the service
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(
            member=member,
            activity_type=review,
            reference="r1",
            points=10,
            occurred_at=timezone.now(),
        )
    # then it counted once
    assert Activity.objects.count() == 1
    assert PointAccount.objects.get(member=member).balance == 10


@pytest.mark.django_db
def test_the_database_refuses_a_second_point_account_for_a_member(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        PointAccount.objects.create(member=member)
    assert PointAccount.objects.filter(member=member).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_an_expiry_date_on_a_debit(member):
    account = PointAccount.objects.get(member=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.bulk_create(
            [
                PointsEntry(
                    account=account,
                    kind="adjustment",
                    points=-5,
                    balance_after=-5,
                    expires_at=timezone.now(),
                )
            ]
        )
    assert not PointsEntry.objects.exists()
