"""The one definition of active, dormant and the ladder (campaigns/lifecycle.py), and the
audiences that must follow it."""

import datetime

import pytest
from django.utils import timezone

from campaigns import lifecycle
from campaigns.lifecycle import ActivityStatus
from campaigns.models import MemberStats
from campaigns.selectors import segment_members, trigger_audience
from tests.factories import AutomationFactory, MemberFactory, SegmentFactory

NOW = datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("last_purchase_at", "expected"),
    [
        (None, ActivityStatus.NEVER_BOUGHT),
        (NOW - datetime.timedelta(days=30) + datetime.timedelta(seconds=1), ActivityStatus.ACTIVE),
        (NOW - datetime.timedelta(days=30), ActivityStatus.DORMANT),
        (NOW - datetime.timedelta(days=400), ActivityStatus.DORMANT),
    ],
)
def test_a_buyer_is_dormant_once_the_threshold_has_passed_and_a_never_buyer_never_is(
    last_purchase_at, expected
):
    assert (
        lifecycle.activity_status(last_purchase_at=last_purchase_at, now=NOW, days=30) == expected
    )


def test_in_local_days_a_member_is_dormant_from_the_last_purchase_day_plus_the_threshold():
    assert lifecycle.dormant_on(datetime.date(2026, 1, 1), days=30) == datetime.date(2026, 1, 31)
    assert lifecycle.continues_spell(30, days=30)
    assert not lifecycle.continues_spell(31, days=30)


@pytest.mark.parametrize(
    ("purchases", "has_referred", "stage"),
    [
        (0, False, "new"),
        (1, False, "new"),
        (2, False, "returning"),
        (5, False, "loyal"),
        (0, True, "ambassador"),
    ],
)
def test_the_ladder_stage_follows_purchases_and_referrals(purchases, has_referred, stage):
    assert lifecycle.ladder_stage(purchases=purchases, has_referred=has_referred) == stage


@pytest.mark.django_db
def test_the_dormant_trigger_and_a_segment_pick_exactly_the_members_the_lifecycle_calls_dormant():
    # given: members on both sides of a 60-day threshold, and one who never bought
    now = timezone.now()
    ages = [None, 10, 59, 60, 61, 400]
    members = {}
    for days in ages:
        member = MemberFactory()
        MemberStats.objects.create(
            member=member,
            last_purchase_at=None if days is None else now - datetime.timedelta(days=days),
        )
        members[member.pk] = days
    automation = AutomationFactory(trigger="dormant", days=60)
    segment = SegmentFactory(min_days_since_last_purchase=60)
    # when
    by_trigger = set(trigger_audience(automation, now=now).values_list("pk", flat=True))
    by_segment = set(segment_members(segment, now=now).values_list("pk", flat=True))
    # then
    dormant = {
        pk
        for pk, days in members.items()
        if lifecycle.activity_status(
            last_purchase_at=None if days is None else now - datetime.timedelta(days=days),
            now=now,
            days=60,
        )
        == ActivityStatus.DORMANT
    }
    assert {members[pk] for pk in dormant} == {60, 61, 400}
    assert by_trigger == dormant
    assert by_segment == dormant
