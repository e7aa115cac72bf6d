"""Attitude × behaviour (seed 001: satisfaction is not loyalty): one definition of each
category, used by segments (automation audiences) and the dashboard grid."""

import datetime

import pytest
from django.utils import timezone

from campaigns.attitude import attitude_of
from campaigns.models import SatisfactionResponse, SurveyResponse
from campaigns.selectors import segment_members
from insights import figures
from points.models import LoyaltyProgram, Purchase
from tests.factories import AutomationFactory, MemberFactory, SegmentFactory

from .helpers import bought_days_ago

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def everyone() -> figures.KpiFilter:
    return figures.KpiFilter(start=TODAY - datetime.timedelta(days=30), end=TODAY)


def loyal(store, **kwargs):
    """Five purchases, the last one recent: the loyal rung, and active."""
    member = MemberFactory(**kwargs)
    for days in (50, 40, 30, 20, 3):
        bought_days_ago(member, store, days)
    return member


def occasional(store, **kwargs):
    member = MemberFactory(**kwargs)
    bought_days_ago(member, store, 3)
    return member


def nps(member, score, days_ago=1):
    return SurveyResponse.objects.create(
        member=member,
        recommend_score=score,
        created_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def csat(member, score, days_ago=1):
    purchase = Purchase.objects.filter(member=member).latest("occurred_at")
    return SatisfactionResponse.objects.create(
        member=member,
        purchase=purchase,
        score=score,
        created_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


@pytest.mark.parametrize(
    ("nps_score", "csat_score", "expected"),
    [
        (10, None, "satisfied"),
        (9, None, "satisfied"),
        (8, None, "neutral"),
        (7, None, "neutral"),
        (6, None, "dissatisfied"),
        (0, None, "dissatisfied"),
        (None, 10, "satisfied"),
        (None, 8, "satisfied"),
        (None, 7, "neutral"),
        (None, 6, "neutral"),
        (None, 5, "dissatisfied"),
        (None, 1, "dissatisfied"),
        (None, None, ""),
    ],
)
def test_one_answer_has_one_attitude(nps_score, csat_score, expected):
    assert attitude_of(nps_score=nps_score, csat_score=csat_score) == expected


def test_members_are_placed_in_the_grid(store):
    # given: each cell of interest, and members who stay out of the grid
    satisfied_not_loyal = occasional(store)
    nps(satisfied_not_loyal, 10)
    loyal_dissatisfied = loyal(store)
    csat(loyal_dissatisfied, 3)
    loyal_satisfied = loyal(store)
    csat(loyal_satisfied, 9)
    neutral_not_loyal = occasional(store)
    nps(neutral_not_loyal, 7)
    occasional(store)  # never answered: no attitude
    stale = loyal(store)
    nps(stale, 2, days_ago=400)  # answered more than a year ago: no attitude
    # when
    grid = figures.attitude_grid(everyone())
    # then
    assert grid.cells == {
        ("satisfied", "not_loyal"): 1,
        ("dissatisfied", "loyal"): 1,
        ("satisfied", "loyal"): 1,
        ("neutral", "not_loyal"): 1,
    }
    assert grid.members == 4
    assert str(grid.satisfied_not_loyal_share) == "25.0"
    assert str(grid.loyal_dissatisfied_share) == "25.0"


def test_the_latest_answer_decides_whichever_kind_it_is(store):
    changed_mind = occasional(store)
    nps(changed_mind, 10, days_ago=20)
    csat(changed_mind, 2, days_ago=5)  # later: dissatisfied
    back_again = occasional(store)
    csat(back_again, 2, days_ago=20)
    nps(back_again, 9, days_ago=5)  # later: satisfied
    grid = figures.attitude_grid(everyone())
    assert grid.cells == {("dissatisfied", "not_loyal"): 1, ("satisfied", "not_loyal"): 1}


def test_a_loyal_member_who_stopped_buying_is_not_loyal(store):
    program = LoyaltyProgram.current()
    program.dormant_after_days = 30
    program.save()
    lapsed = MemberFactory()
    for days in (80, 70, 60, 50, 40):
        bought_days_ago(lapsed, store, days)
    nps(lapsed, 3)
    assert figures.attitude_grid(everyone()).cells == {("dissatisfied", "not_loyal"): 1}


def test_the_grid_follows_the_store_filter(store, other_store):
    here = occasional(store, enrolled_store=store)
    there = occasional(store, enrolled_store=other_store)
    nps(here, 10)
    nps(there, 10)
    scoped = figures.KpiFilter(start=TODAY, end=TODAY, store_id=other_store.pk)
    assert figures.attitude_grid(scoped).members == 1


def test_segments_pick_a_cell_as_an_automation_audience(store):
    satisfied_not_loyal = occasional(store)
    nps(satisfied_not_loyal, 9)
    loyal_dissatisfied = loyal(store)
    nps(loyal_dissatisfied, 4)
    satisfied_loyal = loyal(store)
    nps(satisfied_loyal, 10)
    # when
    fickle = SegmentFactory(attitude="satisfied", behaviour="not_loyal")
    unhappy = SegmentFactory(attitude="dissatisfied", behaviour="loyal")
    all_loyal = SegmentFactory(behaviour="loyal")
    # then
    assert list(segment_members(fickle)) == [satisfied_not_loyal]
    assert list(segment_members(unhappy)) == [loyal_dissatisfied]
    assert set(segment_members(all_loyal)) == {loyal_dissatisfied, satisfied_loyal}
    # and an automation for that audience reaches only them
    from campaigns import selectors

    automation = AutomationFactory(trigger="dormant", days=1, segment=fickle)
    audience = selectors.audience(
        automation, selectors.trigger_audience(automation, now=timezone.now()), now=timezone.now()
    )
    assert list(audience) == [satisfied_not_loyal]
