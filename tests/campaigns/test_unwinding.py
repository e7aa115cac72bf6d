"""A purchase refunded in full no longer counts as a stamp, a first purchase or a referral's
qualifying purchase; what it earned is taken back, revoked, or left for staff review (#18)."""

from decimal import Decimal

import pytest
from django.db import transaction

from accounts.services import member_enrol
from campaigns.models import Delivery
from campaigns.services import deliveries_fulfil, deliveries_unwind_for_purchase
from points.models import EntryKind, PointAccount, PointsEntry
from points.services import RefundRequest, account_lock, points_spend, refund_record
from rewards.models import IssuedReward
from tests.factories import AutomationFactory, MemberFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def refund_in_full(store, outcome, refund_id="R1"):
    purchase = outcome.purchase
    return refund_record(
        request=RefundRequest(
            store=store,
            transaction_id=purchase.transaction_id,
            refund_id=refund_id,
            amount=purchase.net_amount - purchase.refunded_amount,
        )
    )


def keys():
    return list(Delivery.objects.order_by("pk").values_list("period_key", "unwound"))


def test_a_refunded_purchase_is_no_stamp_and_its_unused_code_is_revoked(
    django_capture_on_commit_callbacks, store
):
    # given a card of 3 stamps, full at the 3rd purchase, which gave a code
    AutomationFactory(trigger="nth_purchase", days=None, every_n=3, cooldown_days=0)
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [buy(member, store, "5.00") for _ in range(3)]
    code = Delivery.objects.get().issued_reward
    assert code.status == IssuedReward.Status.ISSUED
    # when the 3rd purchase is refunded in full
    with django_capture_on_commit_callbacks(execute=True):
        refund_in_full(store, outcomes[2])
    # then its delivery is unwound and the unused code revoked
    code.refresh_from_db()
    assert code.status == IssuedReward.Status.REVOKED
    assert keys() == [("nth:3", "reversed")]
    # and the next purchase is the 3rd stamp again, rewarded under a key of its own
    with django_capture_on_commit_callbacks(execute=True):
        again = buy(member, store, "5.00")
    assert keys() == [("nth:3", "reversed"), (f"nth:3:{again.purchase.pk}", "")]


def test_a_refunded_purchase_does_not_count_towards_the_stamps(
    django_capture_on_commit_callbacks, store
):
    AutomationFactory(trigger="nth_purchase", days=None, every_n=3, cooldown_days=0)
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = buy(member, store, "5.00")
        buy(member, store, "5.00")
        refund_in_full(store, first)
        buy(member, store, "5.00")
    # three purchases, one refunded in full: two stamps, no reward
    assert keys() == []


def test_a_partial_refund_keeps_the_stamp(django_capture_on_commit_callbacks, store):
    AutomationFactory(trigger="nth_purchase", days=None, every_n=2, cooldown_days=0)
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        buy(member, store, "5.00")
        second = buy(member, store, "5.00")
        refund_record(
            request=RefundRequest(
                store=store,
                transaction_id=second.purchase.transaction_id,
                refund_id="R1",
                amount=Decimal("4.99"),
            )
        )
    assert keys() == [("nth:2", "")]


def test_a_refunded_first_purchase_takes_its_bonus_back_and_the_next_purchase_is_first(
    django_capture_on_commit_callbacks, store
):
    # given a first-purchase bonus of 25 points
    AutomationFactory(trigger="first_purchase", days=None, reward=None, bonus_points=25)
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = buy(member, store, "10.00")
    assert PointAccount.objects.get(member=member).balance == 35
    # when the first purchase is refunded in full
    with django_capture_on_commit_callbacks(execute=True):
        refund_in_full(store, first)
    # then the purchase's points and the bonus are both taken back
    assert PointAccount.objects.get(member=member).balance == 0
    reversal = PointsEntry.objects.get(kind=EntryKind.BONUS, points=-25)
    assert reversal.corrects == Delivery.objects.get().bonus_entry
    assert keys() == [("first", "reversed")]
    # and the next purchase is the first that counts
    with django_capture_on_commit_callbacks(execute=True):
        second = buy(member, store, "10.00")
    assert keys() == [("first", "reversed"), (f"first:{second.purchase.pk}", "")]
    assert PointAccount.objects.get(member=member).balance == 35


def test_a_bonus_already_spent_is_left_for_staff_review(django_capture_on_commit_callbacks, store):
    AutomationFactory(trigger="first_purchase", days=None, reward=None, bonus_points=25)
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = buy(member, store, "10.00")
    with transaction.atomic():
        points_spend(account_lock(member.pk), points=30, kind=EntryKind.REDEMPTION)
    with django_capture_on_commit_callbacks(execute=True):
        refund_in_full(store, first)
    # the purchase's 10 points are reversed (balance below zero, flagged), the bonus is not
    account = PointAccount.objects.get(member=member)
    assert account.balance == -5
    assert account.flagged_at is not None
    assert not PointsEntry.objects.filter(kind=EntryKind.BONUS, points__lt=0).exists()
    assert keys() == [("first", "review")]


def test_a_referral_does_not_qualify_with_a_refunded_purchase(
    django_capture_on_commit_callbacks, store
):
    # given a referral automation giving both a code
    AutomationFactory(trigger="referral", days=None, reward_newcomer=True)
    ambassador = member_enrol(first_name="Ambassadeur")
    newcomer = member_enrol(first_name="Nieuw", referral_code=ambassador.referral_code)
    with django_capture_on_commit_callbacks(execute=True):
        first = buy(newcomer, store, "20.00")
    assert IssuedReward.objects.filter(status=IssuedReward.Status.ISSUED).count() == 2
    # when the newcomer's qualifying purchase is refunded in full
    with django_capture_on_commit_callbacks(execute=True):
        refund_in_full(store, first)
    # then both codes are revoked
    assert IssuedReward.objects.filter(status=IssuedReward.Status.REVOKED).count() == 2
    assert [unwound for _key, unwound in keys()] == ["reversed", "reversed"]
    # and a later purchase that counts qualifies the referral again
    with django_capture_on_commit_callbacks(execute=True):
        buy(newcomer, store, "20.00")
    assert IssuedReward.objects.filter(status=IssuedReward.Status.ISSUED).count() == 2


def test_a_used_referral_code_is_left_for_staff_review(django_capture_on_commit_callbacks, store):
    AutomationFactory(trigger="referral", days=None)
    ambassador = member_enrol(first_name="Ambassadeur")
    newcomer = member_enrol(first_name="Nieuw", referral_code=ambassador.referral_code)
    with django_capture_on_commit_callbacks(execute=True):
        first = buy(newcomer, store, "20.00")
    code = IssuedReward.objects.get()
    IssuedReward.objects.filter(pk=code.pk).update(status=IssuedReward.Status.USED)
    with django_capture_on_commit_callbacks(execute=True):
        refund_in_full(store, first)
    assert keys() == [(f"referral:{newcomer.pk}", "review")]
    code.refresh_from_db()
    assert code.status == IssuedReward.Status.USED


def test_a_delivery_not_given_yet_is_cancelled_and_never_given(
    django_capture_on_commit_callbacks, store
):
    AutomationFactory(trigger="first_purchase", days=None, reward=None, bonus_points=25)
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=False):
        first = buy(member, store, "10.00")
        refund_in_full(store, first)
    # the unwinding runs before the fulfilment
    assert deliveries_unwind_for_purchase(first.purchase.pk) == {"cancelled": 1}
    delivery = Delivery.objects.get()
    deliveries_fulfil([delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.skip_reason, delivery.unwound) == (
        "skipped",
        "refunded",
        "cancelled",
    )
    assert delivery.bonus_entry is None
    assert PointAccount.objects.get(member=member).balance == 0
    # and unwinding twice changes nothing
    assert deliveries_unwind_for_purchase(first.purchase.pk) == {}
