"""The uplift of a bonus campaign with a holdout: a simulation with a known true effect.

Members are made in bulk with fixed ids (so the hash draw, and with it the sample, is the same
on every run and database: PostgreSQL's sequences never go back), counted by the real audience
job, and buy in the campaign window with a known probability per group (seeded). The report's
95 % intervals must cover the true uplift; with no true effect they must cover zero.
"""

import csv
import datetime
import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.cards import generate_card_number
from accounts.models import Member
from campaigns.assignment import bonus_held_out
from campaigns.models import BonusCampaign
from campaigns.services import bonus_audience_count, bonus_audience_results_refresh
from insights import figures
from insights.figures.uplift import MIN_MEMBERS
from loyalty_site import roles
from points.models import LoyaltyProgram, Purchase
from tests.factories import StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

MARCH = figures.KpiFilter(start=datetime.date(2025, 3, 1), end=datetime.date(2025, 3, 31))
PERIOD = {"start": "2025-03-01", "end": "2025-03-31"}
STARTS_AT = datetime.datetime(2025, 3, 3, 0, 0, tzinfo=datetime.UTC)
ENDS_AT = datetime.datetime(2025, 3, 17, 0, 0, tzinfo=datetime.UTC)
ENROLLED_AT = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
CAMPAIGN_ID = 900_019
FIRST_MEMBER_ID = 2_000_001
MEAN_BASKET = 50.0  # baskets uniform on [20, 80]
POINTS = 40  # the campaign's points on each treated purchase


def bonus_campaign(*, holdout_percent: int, **kwargs) -> BonusCampaign:
    return BonusCampaign.objects.create(
        pk=CAMPAIGN_ID,
        name_nl="Dubbele punten",
        name_en="Double points",
        kind="multiplier",
        starts_at=STARTS_AT,
        ends_at=ENDS_AT,
        holdout_percent=holdout_percent,
        **kwargs,
    )


def members(count: int, *, first_id: int = FIRST_MEMBER_ID, enrolled_at=ENROLLED_AT, store=None):
    return Member.objects.bulk_create(
        Member(
            pk=first_id + index,
            card_number=generate_card_number(),
            email=f"bonus{first_id + index}@example.com",
            enrolled_at=enrolled_at,
            enrolled_store=store,
        )
        for index in range(count)
    )


def purchase(member, store, amount, *, at, campaign_points=0, refunded="0"):
    explanation = [{"source": "rule", "source_id": 1, "label": "Basis", "points": 10}]
    if campaign_points:
        explanation.append(
            {
                "source": "campaign",
                "source_id": CAMPAIGN_ID,
                "label": "Dubbele punten",
                "points": campaign_points,
            }
        )
    return Purchase(
        store=store,
        transaction_id=f"B{member.pk}-{at:%d%H%M}",
        member=member,
        amount=Decimal(amount),
        refunded_amount=Decimal(refunded),
        currency="EUR",
        channel="offline",
        occurred_at=at,
        explanation=explanation,
    )


def simulate(*, count, holdout_percent, treated_rate, holdout_rate, seed):
    """Every member is in the audience; each buys once in the window with its group's
    probability, a basket uniform on [20, 80]."""
    rng = random.Random(seed)
    store = StoreFactory()
    campaign = bonus_campaign(holdout_percent=holdout_percent)
    created = members(count, store=store)
    audience = bonus_audience_count(campaign, now=STARTS_AT)
    purchases = []
    for member in created:
        held_out = bonus_held_out(
            campaign_id=CAMPAIGN_ID, member_id=member.pk, holdout_percent=holdout_percent
        )
        if rng.random() < (holdout_rate if held_out else treated_rate):
            at = STARTS_AT + datetime.timedelta(days=rng.randint(0, 13), hours=10)
            amount = f"{rng.uniform(20, 80):.2f}"
            purchases.append(
                purchase(member, store, amount, at=at, campaign_points=0 if held_out else POINTS)
            )
    Purchase.objects.bulk_create(purchases, batch_size=1000)
    bonus_audience_results_refresh(audience, now=ENDS_AT)
    return campaign, store


def _row(report):
    return next(row for row in report.rows if row.bonus_campaign_id == CAMPAIGN_ID)


def test_the_interval_covers_the_true_uplift_of_a_bonus_campaign():
    # given treated members buy with probability 30 %, held-out ones with 20 %
    simulate(count=4000, holdout_percent=30, treated_rate=0.30, holdout_rate=0.20, seed=19)
    # when
    with translation.override("en"):
        row = _row(figures.uplift(MARCH))
    # then the intervals cover the true uplift (10 pp, € 5 a member) and exclude 0
    assert row.automation_id is None
    assert row.name == "Bonus campaign: Double points"
    assert row.treated.members + row.holdout.members == 4000
    assert row.conversion_uplift.covers(10.0)
    assert not row.conversion_uplift.covers(0.0)
    assert row.revenue_uplift.covers(0.10 * MEAN_BASKET)
    assert row.incremental_revenue > 0
    # and the points cost is what the campaign gave the treated buyers, at the point value
    assert row.points_cost == (
        Decimal(row.treated.conversions * POINTS) * LoyaltyProgram.current().point_value
    ).quantize(Decimal("0.01"))
    assert row.discount_cost == row.credit_cost == Decimal("0.00")


def test_with_no_true_effect_the_bonus_interval_covers_zero():
    simulate(count=4000, holdout_percent=50, treated_rate=0.20, holdout_rate=0.20, seed=4)
    row = _row(figures.uplift(MARCH))
    assert row.conversion_uplift.covers(0.0)
    assert row.revenue_uplift.covers(0.0)


def test_the_groups_are_the_audience_counted_at_the_start():
    # given an audience of 300 counted at the start, and a member who joined later
    store = StoreFactory()
    campaign = bonus_campaign(holdout_percent=50)
    audience = members(300, store=store)
    counted = bonus_audience_count(campaign, now=STARTS_AT)
    (late,) = members(1, first_id=3_000_000, enrolled_at=STARTS_AT + datetime.timedelta(days=1))
    buyer = next(
        member
        for member in audience
        if not bonus_held_out(campaign_id=CAMPAIGN_ID, member_id=member.pk, holdout_percent=50)
    )
    at = STARTS_AT + datetime.timedelta(days=2)
    Purchase.objects.bulk_create(
        [
            # two purchases of one member, one refunded in part: one conversion, € 30 + € 5
            purchase(buyer, store, "30.00", at=at, campaign_points=30),
            purchase(buyer, store, "20.00", at=at + datetime.timedelta(hours=1), refunded="15.00"),
            # outside the window: not counted
            purchase(buyer, store, "99.00", at=ENDS_AT, campaign_points=99),
            # the late joiner is not measured, though the campaign gave it points
            purchase(late, store, "40.00", at=at, campaign_points=40),
        ]
    )
    # when the purchases are counted
    bonus_audience_results_refresh(counted, now=ENDS_AT)
    row = _row(figures.uplift(MARCH))
    # then
    assert row.treated.members + row.holdout.members == 300
    assert (row.treated.conversions, row.treated.revenue) == (1, Decimal("35.00"))
    assert row.treated.revenue_squares == pytest.approx(35.0**2)
    assert (row.holdout.conversions, row.holdout.revenue) == (0, Decimal("0"))
    assert row.points_cost == (Decimal(30) * LoyaltyProgram.current().point_value).quantize(
        Decimal("0.01")
    )
    # and a store filter keeps the members who enrolled there
    elsewhere = figures.KpiFilter(start=MARCH.start, end=MARCH.end, store_id=StoreFactory().pk)
    other = _row(figures.uplift(elsewhere))
    assert (other.treated.members, other.holdout.members, other.treated.conversions) == (0, 0, 0)


@pytest.mark.parametrize("counted", ["nothing", "the audience only"])
def test_a_campaign_not_counted_yet_shows_not_enough_members(counted):
    campaign = bonus_campaign(holdout_percent=20)
    members(200)
    if counted == "the audience only":
        bonus_audience_count(campaign, now=STARTS_AT)
    row = _row(figures.uplift(MARCH))
    assert (row.treated.members, row.holdout.members) == (0, 0)
    assert not row.enough_members
    assert row.conversion_uplift is None
    assert row.incremental_margin is None


def test_campaigns_without_a_holdout_are_not_in_the_report():
    bonus_campaign(holdout_percent=0)
    assert figures.uplift(MARCH).rows == []


def test_the_dashboard_and_csv_show_the_bonus_campaign(client):
    simulate(count=1200, holdout_percent=30, treated_rate=0.3, holdout_rate=0.2, seed=3)
    client.force_login(UserFactory(role=roles.MANAGER))
    client.cookies["django_language"] = "nl"
    page = client.get(reverse("admin:insights_kpirefresh_changelist"), PERIOD).content.decode()
    assert "Bonuscampagne: Dubbele punten" in page
    response = client.get(reverse("admin:insights_kpirefresh_export", args=["uplift"]), PERIOD)
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    cells = next(line for line in lines if line.startswith("Bonuscampagne")).split(";")
    assert int(cells[1]) + int(cells[2]) == 1200
    assert "," in cells[5]  # the uplift in percentage points, with a decimal comma
    assert cells[-1] == ""  # enough members: no note


def test_below_the_minimum_the_bonus_row_says_not_enough_members_yet(client):
    simulate(count=MIN_MEMBERS, holdout_percent=10, treated_rate=0.3, holdout_rate=0.2, seed=1)
    client.force_login(UserFactory(role=roles.MANAGER))
    client.cookies["django_language"] = "en"
    response = client.get(reverse("admin:insights_kpirefresh_export", args=["uplift"]), PERIOD)
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    cells = next(csv.reader(lines[1:2]))
    assert cells[0] == "Bonus campaign: Double points"
    assert cells[3] == cells[5] == ""
    assert cells[-1] == "Not enough members yet: at least 100 in each group"
