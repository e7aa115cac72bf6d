"""Holdout groups and variants: who is held out, who gets which offer, and what counts."""

import datetime
from collections import Counter

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.assignment import assignment_draw, assignment_for
from campaigns.models import AutomationArm, Delivery
from campaigns.services import automation_run
from rewards.models import IssuedReward
from tests.factories import AutomationFactory, MemberFactory, RewardFactory

from .helpers import bought_days_ago

# --- the assignment: a pure function ---------------------------------------------------------


def test_the_draw_is_the_same_every_time_and_differs_per_automation():
    first = [assignment_draw(automation_id=7, member_id=member) for member in range(50)]
    again = [assignment_draw(automation_id=7, member_id=member) for member in range(50)]
    other = [assignment_draw(automation_id=8, member_id=member) for member in range(50)]
    assert first == again
    assert first != other
    assert all(0 <= draw < 1 for draw in first)


def test_the_holdout_takes_its_share_of_members():
    held = sum(
        assignment_for(automation_id=3, member_id=member, holdout_percent=20, arms=[]).held_out
        for member in range(20_000)
    )
    assert 0.19 < held / 20_000 < 0.21


def test_no_holdout_holds_out_nobody_and_full_arms_cover_everyone():
    placed = [
        assignment_for(automation_id=3, member_id=member, holdout_percent=0, arms=[(11, 100)])
        for member in range(2_000)
    ]
    assert {(item.held_out, item.arm_id) for item in placed} == {(False, 11)}


def test_arms_split_the_treated_members_as_configured():
    arms = [(1, 50), (2, 30), (3, 20)]
    placed = Counter(
        assignment_for(automation_id=5, member_id=member, holdout_percent=10, arms=arms).arm_id
        for member in range(30_000)
    )
    treated = 30_000 - placed[None]
    assert 0.09 < placed[None] / 30_000 < 0.11
    assert 0.48 < placed[1] / treated < 0.52
    assert 0.28 < placed[2] / treated < 0.32
    assert 0.18 < placed[3] / treated < 0.22


# --- held out in a run ----------------------------------------------------------------------


def _dormant(count, store):
    members = [
        MemberFactory(first_name=f"Lid{index}", email_consent_at=timezone.now())
        for index in range(count)
    ]
    for member in members:
        bought_days_ago(member, store, 75)
    return members


@pytest.mark.django_db
def test_held_out_members_get_no_reward_and_no_message_but_the_same_window(
    store, django_capture_on_commit_callbacks
):
    _dormant(40, store)
    offer = AutomationFactory(
        trigger="dormant", days=60, holdout_percent=50, reward_validity_days=21
    )
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(offer)
    held = Delivery.objects.filter(status=Delivery.Status.HELD_OUT)
    sent = Delivery.objects.filter(status=Delivery.Status.SENT)
    assert held.count() + sent.count() == 40
    assert 8 < held.count() < 32
    assert not held.exclude(issued_reward=None).exists()
    assert not held.exclude(bonus_entry=None).exists()
    assert len(mail.outbox) == sent.count()
    assert IssuedReward.objects.count() == sent.count()
    windows = {
        delivery.offer_expires_at - delivery.created_at for delivery in Delivery.objects.all()
    }
    assert {window.days for window in windows} == {21}
    # The assignment is the pure function's.
    for delivery in held:
        assert assignment_for(
            automation_id=offer.pk, member_id=delivery.member_id, holdout_percent=50, arms=[]
        ).held_out


@pytest.mark.django_db
def test_a_held_out_member_who_buys_converts_a_skipped_one_never(
    store, django_capture_on_commit_callbacks
):
    members = _dormant(30, store)
    offer = AutomationFactory(trigger="dormant", days=60, holdout_percent=50, channel="sms")
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(offer)  # no SMS consent: the treated are skipped
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    assert set(statuses) == {Delivery.Status.HELD_OUT, Delivery.Status.SKIPPED}
    for member in members:
        bought_days_ago(member, store, 0)
    converted = Counter(
        Delivery.objects.filter(converted_at__isnull=False).values_list("status", flat=True)
    )
    assert converted == Counter({Delivery.Status.HELD_OUT: statuses[Delivery.Status.HELD_OUT]})


@pytest.mark.django_db
def test_each_member_gets_the_reward_of_their_variant(store, django_capture_on_commit_callbacks):
    _dormant(40, store)
    ten, twenty = RewardFactory(points_cost=0), RewardFactory(points_cost=0, value=20)
    offer = AutomationFactory(trigger="dormant", days=60, holdout_percent=20)
    low = AutomationArm.objects.create(automation=offer, name="10 %", reward=ten, split_percent=50)
    high = AutomationArm.objects.create(
        automation=offer, name="20 %", reward=twenty, split_percent=30
    )
    points = AutomationArm.objects.create(
        automation=offer, name="250 points", bonus_points=250, split_percent=20
    )
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(offer)
    splits = [(low.pk, 50), (high.pk, 30), (points.pk, 20)]
    for delivery in Delivery.objects.select_related("issued_reward", "bonus_entry"):
        placed = assignment_for(
            automation_id=offer.pk, member_id=delivery.member_id, holdout_percent=20, arms=splits
        )
        assert delivery.arm_id == placed.arm_id
        if placed.held_out:
            assert delivery.status == Delivery.Status.HELD_OUT
        elif placed.arm_id == points.pk:
            assert delivery.issued_reward is None
            assert delivery.bonus_entry.points == 250
        else:
            expected = ten if placed.arm_id == low.pk else twenty
            assert delivery.issued_reward.reward == expected
            assert delivery.bonus_entry is None
    # A rerun in the same period delivers nobody twice.
    automation_run(offer, now=timezone.now() + datetime.timedelta(minutes=5))
    assert Delivery.objects.count() == 40
