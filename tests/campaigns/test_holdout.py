"""Holdout groups and variants: who is held out, who gets which offer, and what counts."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from campaigns.assignment import assignment_draw, assignment_for
from campaigns.models import Automation, AutomationArm, Delivery
from campaigns.services import automation_dry_run, automation_run
from loyalty_site import roles
from rewards.models import IssuedReward
from tests.factories import AutomationFactory, MemberFactory, RewardFactory
from tests.staff.helpers import login

from .helpers import bought_days_ago
from .test_message_templates import _form_data

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


# --- the admin form --------------------------------------------------------------------------


def _variants(*splits, holdout="10"):
    reward = RewardFactory(points_cost=0, fixed=True)
    data = _form_data(holdout_percent=holdout, **{"arms-TOTAL_FORMS": str(len(splits))})
    for index, split in enumerate(splits):
        data |= {
            f"arms-{index}-name": f"Variant {index}",
            f"arms-{index}-reward": str(reward.pk),
            f"arms-{index}-bonus_points": "0",
            f"arms-{index}-split_percent": str(split),
        }
    return data


@pytest.mark.django_db
def test_variants_whose_shares_do_not_add_up_to_100_are_refused(client):
    login(client, roles.MARKETING)
    response = client.post(reverse("admin:campaigns_automation_add"), _variants(50, 40))
    assert response.status_code == 200
    assert not Automation.objects.exists()
    assert "90 %" in str(response.context["inline_admin_formsets"][0].formset.non_form_errors())


@pytest.mark.django_db
def test_variants_adding_up_to_100_are_saved_with_the_holdout(client):
    login(client, roles.MARKETING)
    response = client.post(reverse("admin:campaigns_automation_add"), _variants(70, 30))
    assert response.status_code == 302
    automation = Automation.objects.get()
    assert automation.holdout_percent == 10
    assert automation.arm_splits == [(arm.pk, arm.split_percent) for arm in automation.arms.all()]
    assert [split for _pk, split in automation.arm_splits] == [70, 30]


@pytest.mark.django_db
def test_a_holdout_above_90_percent_is_refused(client):
    login(client, roles.MARKETING)
    response = client.post(reverse("admin:campaigns_automation_add"), _variants(holdout="95"))
    assert response.status_code == 200
    assert "holdout_percent" in response.context["adminform"].form.errors


# --- the dry run: enough members to measure? ------------------------------------------------


@pytest.mark.django_db
def test_the_dry_run_estimates_the_members_needed_for_the_chosen_uplift(store):
    _dormant(3, store)
    offer = AutomationFactory(trigger="dormant", days=60, holdout_percent=20)
    power = automation_dry_run(offer, uplift_points=Decimal("5")).power
    # 10 % assumed → 15 %: 686 per group; at 20 % holdout 686 × (1/0.2 + 1/0.8) / 2 in all.
    assert (power.baseline_source, power.per_group, power.audience) == ("assumed", 686, 2144)
    assert power.would_get == 3
    assert not power.enough_now
    no_holdout = AutomationFactory(trigger="dormant", days=60)
    assert automation_dry_run(no_holdout).power.audience is None


@pytest.mark.django_db
def test_the_dry_run_page_shows_the_estimate_and_refuses_a_bad_uplift(client):
    offer = AutomationFactory(trigger="dormant", days=60, holdout_percent=20)
    login(client, roles.MARKETING)
    url = reverse("admin:campaigns_automation_change", args=[offer.pk])
    page = client.get(url, {"uplift": "2"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "each group needs 3,841 members" in page
    bad = client.get(url, {"uplift": "veel"})
    assert bad.status_code == 200
    assert bad.context["power_form"].errors
