"""Segments by engagement: the loyalty score, points earned, ladder stage and NPS (issue #18)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import SurveyResponse
from campaigns.selectors import segment_members
from campaigns.services import member_stats_refresh
from points.models import EarningRule, ScoreNorm, ScoreSource
from points.services import points_adjust
from rewards.services import reward_redeem
from tests.factories import MemberFactory, RewardFactory, SegmentFactory, UserFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def names(segment) -> set[str]:
    return set(segment_members(segment).values_list("first_name", flat=True))


@pytest.fixture
def norms(db):
    ScoreNorm.objects.create(source=ScoreSource.PURCHASE, value=Decimal("10"))
    ScoreNorm.objects.create(source=ScoreSource.PURCHASE_AMOUNT, value=Decimal("1"))


def test_loyal_means_a_score_of_100_whatever_was_redeemed(norms, store):
    # given: a member with a score of 160 (and 150 points), another with 30
    EarningRule.objects.create(kind="base_rate", name_nl="Basis", points_per_unit=Decimal("1"))
    loyal, casual = MemberFactory(first_name="Loyal"), MemberFactory(first_name="Casual")
    buy(loyal, store, "150.00")
    buy(casual, store, "20.00")
    segment = SegmentFactory(min_score=100)
    assert names(segment) == {"Loyal"}
    # when: the loyal member redeems 100 of their 150 points
    reward_redeem(
        store=store,
        member=loyal,
        reward_id=RewardFactory(points_cost=100).pk,
        idempotency_key="r1",
    )
    # then: still loyal (the old balance rule would have dropped them)
    assert names(segment) == {"Loyal"}
    assert names(SegmentFactory(min_points_balance=100)) == set()
    assert names(SegmentFactory(max_score=50)) == {"Casual"}


def test_members_without_any_score_match_an_upper_limit_only(norms, store):
    MemberFactory(first_name="Quiet")
    assert names(SegmentFactory(max_score=10)) == {"Quiet"}
    assert names(SegmentFactory(min_score=1)) == set()


def test_lifetime_and_qualifying_points(store):
    actor = UserFactory()
    old_hand, newcomer = MemberFactory(first_name="Old"), MemberFactory(first_name="New")
    points_adjust(member=old_hand, points=800, reason="t", actor=actor, counts_for_tier=True)
    points_adjust(member=newcomer, points=300, reason="t", actor=actor, counts_for_tier=True)
    # the ledger is append-only: look from two years on instead of moving the points back
    later = timezone.now() + datetime.timedelta(days=730)

    def at(segment, now):
        return set(segment_members(segment, now=now).values_list("first_name", flat=True))

    assert at(SegmentFactory(min_lifetime_points=500), later) == {"Old"}
    assert at(SegmentFactory(min_qualifying_points=200), timezone.now()) == {"Old", "New"}
    assert at(SegmentFactory(min_qualifying_points=200), later) == set()


def test_ladder_stage(store):
    new, returning, loyal = (MemberFactory(first_name=name) for name in ("New", "Ret", "Loyal"))
    ambassador = MemberFactory(first_name="Amb")
    MemberFactory(first_name="Friend", referred_by=ambassador)
    for _ in range(2):
        buy(returning, store, "5.00")
    for _ in range(5):
        buy(loyal, store, "5.00")
    buy(new, store, "5.00")
    member_stats_refresh()
    assert names(SegmentFactory(ladder_stage="new")) == {"New", "Friend"}
    assert names(SegmentFactory(ladder_stage="returning")) == {"Ret"}
    assert names(SegmentFactory(ladder_stage="loyal")) == {"Loyal"}
    assert names(SegmentFactory(ladder_stage="ambassador")) == {"Amb"}


@pytest.mark.parametrize(
    ("category", "expected"),
    [("promoter", {"Fan"}), ("passive", {"Meh"}), ("detractor", {"Critic"})],
)
def test_nps_category_by_the_latest_answer(category, expected):
    fan, meh, critic = (MemberFactory(first_name=name) for name in ("Fan", "Meh", "Critic"))
    MemberFactory(first_name="Silent")
    now = timezone.now()
    # the fan was a detractor once; their latest answer counts
    SurveyResponse.objects.create(
        member=fan, recommend_score=3, created_at=now - datetime.timedelta(days=200)
    )
    SurveyResponse.objects.create(member=fan, recommend_score=10, created_at=now)
    SurveyResponse.objects.create(member=meh, recommend_score=7, created_at=now)
    SurveyResponse.objects.create(member=critic, recommend_score=6, created_at=now)
    assert names(SegmentFactory(nps_category=category)) == expected
