"""Every KPI on a small history whose figures are worked out by hand in the comments."""

from decimal import Decimal

import pytest

from campaigns.attitude import attitude_of
from campaigns.models import (
    NPS_HIGHEST,
    NPS_LOWEST,
    Delivery,
    MemberStats,
    SatisfactionResponse,
    SurveyResponse,
)
from insights import figures as kpis
from points.models import PointAccount
from rewards.models import IssuedReward
from tests.factories import AutomationFactory, StoreFactory, TierFactory

from .helpers import at, d, member_on, points, purchase, tier_change

pytestmark = pytest.mark.django_db

MARCH = kpis.KpiFilter(start=d("2025-03-01"), end=d("2025-03-31"))


@pytest.fixture
def shop(db):
    return StoreFactory(code="AMS01", channel="offline")


@pytest.fixture
def webshop(db):
    return StoreFactory(code="WEB", channel="online")


@pytest.fixture
def purchase_history(programme, shop):
    """Dormant after 30 days. Eight members, enrolled 1 January 2025:

    A  10 Feb [coffee], 20 Mar [coffee, tea]   gap 38 > 30: dormant 12 Mar (lost), back 20 Mar
    B  20 Feb [coffee, tea], 15 Mar [tea]      one spell, dormant 14 Apr
    C  5 Jan                                   dormant since 4 Feb
    E  1 Feb [coffee], 27 Feb [coffee], 25 Mar [books]   one spell, dormant 24 Apr
    F  never bought
    H  15 Feb [tea], 10 Mar [tea]              dormant 9 Apr
    I  28 Feb, 28 Mar                          dormant 27 Apr
    J  5 Mar (first purchase in the period)    dormant 4 Apr
    """
    members = {name: member_on("2025-01-01", store=shop) for name in "ABCEFHIJ"}
    for name, day, categories in [
        ("A", "2025-02-10", ["coffee"]),
        ("A", "2025-03-20", ["coffee", "tea"]),
        ("B", "2025-02-20", ["coffee", "tea"]),
        ("B", "2025-03-15", ["tea"]),
        ("C", "2025-01-05", []),
        ("E", "2025-02-01", ["coffee"]),
        ("E", "2025-02-27", ["coffee"]),
        ("E", "2025-03-25", ["books"]),
        ("H", "2025-02-15", ["tea"]),
        ("H", "2025-03-10", ["tea"]),
        ("I", "2025-02-28", []),
        ("I", "2025-03-28", []),
        ("J", "2025-03-05", []),
    ]:
        purchase(members[name], shop, day, categories=categories)
    return members


def test_churn_counts_active_members_at_the_start_who_crossed_the_dormant_threshold(
    purchase_history, refreshed
):
    # given: active at the end of 28 Feb: A, B, E, H, I (C went dormant on 4 Feb, J and F had
    # not bought); of those only A went 30 days without buying during March (12 March)
    refreshed()
    # when
    churn = kpis.churn(MARCH)
    # then: 1 of 5 = 20.0 %
    assert (churn.members_at_start, churn.lost, churn.rate) == (5, 1, Decimal("20.0"))


def test_the_dormant_threshold_is_counted_in_whole_days(programme, shop, refreshed):
    # given: bought 29 Jan → dormant from 28 Feb (30 days later), so not a member "at the
    # start" of March; bought 30 Jan → still active on 28 Feb, dormant on 1 March: lost
    member_on("2025-01-01", store=shop)
    purchase(member_on("2025-01-01", store=shop), shop, "2025-01-29")
    purchase(member_on("2025-01-01", store=shop), shop, "2025-01-30")
    refreshed()
    # when
    churn = kpis.churn(MARCH)
    # then
    assert (churn.members_at_start, churn.lost, churn.rate) == (1, 1, Decimal("100.0"))


def test_active_and_dormant_members_at_the_start_and_the_end(purchase_history, refreshed):
    refreshed()
    activity = kpis.activity(MARCH)
    # 28 Feb: active A B E H I; dormant C; never bought F J
    assert activity.at_start == kpis.ActivityCounts(members=8, active=5, dormant=1, never_bought=2)
    # 31 Mar: active A (back on 20 Mar) B E H I J; dormant C; never bought F
    assert activity.at_end == kpis.ActivityCounts(members=8, active=6, dormant=1, never_bought=1)
    # week of 10–16 March: A is dormant since the 12th, J bought on the 5th
    week = next(counts for bucket, counts in activity.rows if bucket.start == d("2025-03-10"))
    assert (week.active, week.dormant) == (5, 2)


def test_repeat_purchase_and_upsell_rates(purchase_history, refreshed):
    refreshed()
    repeat = kpis.repeat_purchases(MARCH)
    # at the end: 7 buyers; 2+ purchases: A B E H I = 5 → 71.4 %; of those A (tea on the 2nd
    # purchase) and E (books on the 3rd) bought a category new to them → 2 of 5 = 40.0 %
    # (B had tea in its first basket, H and I bought nothing new)
    end = repeat.at_end
    assert (end.buyers, end.repeat_buyers, end.repeat_rate) == (7, 5, Decimal("71.4"))
    assert (end.upsell_buyers, end.upsell_rate) == (2, Decimal("40.0"))
    # at the start: 6 buyers, only E had bought twice → 16.7 %, no upsell yet → 0.0 %
    start = repeat.at_start
    assert (start.buyers, start.repeat_buyers, start.repeat_rate) == (6, 1, Decimal("16.7"))
    assert start.upsell_rate == Decimal("0.0")
    assert (repeat.new_repeat_buyers, repeat.new_upsell_buyers) == (4, 2)


def test_the_ladder_and_the_moves_between_its_stages(programme, shop, refreshed):
    # P: 4 purchases before March, the 5th on 5 March      returning → loyal
    # Q: 1 purchase; R, whom Q referred, enrols 10 March    new → ambassador
    # R: enrols 10 March, buys 12 and 20 March              (joined) → returning
    # S: 2 purchases in January                             returning, stays
    # T: no purchases                                       new, stays
    # U: referred V, who enrolled 1 February                ambassador, stays; V new, stays
    p, q, s, _t, u = (member_on("2025-01-01", store=shop) for _ in range(5))
    r = member_on("2025-03-10", store=shop, referred_by=q)
    member_on("2025-02-01", store=shop, referred_by=u)
    for day in ["2025-01-10", "2025-01-20", "2025-02-01", "2025-02-10", "2025-03-05"]:
        purchase(p, shop, day)
    purchase(q, shop, "2025-02-01")
    purchase(r, shop, "2025-03-12")
    purchase(r, shop, "2025-03-20")
    purchase(s, shop, "2025-01-05")
    purchase(s, shop, "2025-01-06")
    refreshed()
    # when
    ladder = kpis.ladder(MARCH)
    # then
    assert ladder.at_start == {"new": 3, "returning": 2, "loyal": 0, "ambassador": 1}
    assert ladder.at_end == {"new": 2, "returning": 2, "loyal": 1, "ambassador": 2}
    assert ladder.moves == {
        ("returning", "loyal"): 1,
        ("new", "ambassador"): 1,
        ("", "returning"): 1,
    }
    assert (ladder.stayed("new"), ladder.stayed("returning")) == (2, 1)


def test_members_by_tier_over_time(programme, shop, refreshed):
    bronze = TierFactory(rank=1, threshold=0, name_en="Bronze")
    silver = TierFactory(rank=2, threshold=500, name_en="Silver")
    x, y, w = (member_on("2025-01-01", store=shop) for _ in range(3))
    z = member_on("2025-02-15", store=shop)
    tier_change(x, None, bronze, "2025-01-01")
    tier_change(x, bronze, silver, "2025-03-10")
    tier_change(y, None, bronze, "2025-01-01")
    tier_change(z, None, bronze, "2025-02-15")
    tier_change(z, bronze, silver, "2025-02-20")
    tier_change(z, silver, bronze, "2025-03-20")
    # W got Silver without a recorded change (imported): Silver since enrolment
    PointAccount.objects.filter(member=w).update(tier=silver)
    refreshed()
    # when
    tiers = kpis.members_by_tier(MARCH)
    # then: 28 Feb: Bronze X Y, Silver Z W; 31 Mar: Bronze Y Z, Silver X W
    assert tiers.at_start == {bronze.pk: 2, silver.pk: 2}
    by_week = {bucket.start: counts for bucket, counts in tiers.rows}
    assert by_week[d("2025-03-10")] == {bronze.pk: 1, silver.pk: 3}  # X up on the 10th
    assert by_week[d("2025-03-17")] == {bronze.pk: 2, silver.pk: 2}  # Z down on the 20th
    assert tiers.rows[-1][1] == {bronze.pk: 2, silver.pk: 2}


def test_points_issued_redeemed_expired_and_the_liability(programme, shop, webshop, refreshed):
    # given: point value € 0.05
    member = member_on("2025-01-01", store=shop)
    online = member_on("2025-01-01", store=webshop)
    points(member, "earn", 100, "2025-02-20")  # before March: outstanding at the start
    points(member, "earn", 50, "2025-03-03")
    points(member, "redemption", -40, "2025-03-05")
    points(member, "redemption_reversal", 40, "2025-03-06")  # that redemption undone
    points(member, "redemption", -30, "2025-03-12")
    points(member, "expiry", -10, "2025-03-20")
    points(member, "adjustment", 5, "2025-03-21")
    points(member, "adjustment", -5, "2025-03-22")
    points(member, "refund_reversal", -20, "2025-03-25")
    points(online, "earn", 1000, "2025-03-03")
    refreshed()
    # and one entry written after the nightly rebuild (a late till): counted live
    points(member, "earn", 10, "2025-03-28")
    # when
    flow = kpis.points_flow(kpis.KpiFilter(start=MARCH.start, end=MARCH.end, store_id=shop.pk))
    # then: issued 50 + 5 + 10 = 65; redeemed 40 − 40 + 30 = 30; expired 10; taken back 5 + 20
    assert (flow.issued, flow.redeemed, flow.expired, flow.taken_back) == (65, 30, 10, 25)
    # outstanding 100 → 100 + 65 − 30 − 10 − 25 = 100 points = € 5.00
    assert (flow.outstanding_at_start, flow.outstanding, flow.liability) == (
        100,
        100,
        Decimal("5.00"),
    )
    first_week = flow.rows[1]  # 3–9 March: +50, −40 +40
    assert (first_week.issued, first_week.redeemed, first_week.outstanding) == (50, 0, 150)
    assert first_week.liability == Decimal("7.50")
    # the whole programme: the webshop member's 1000 points too
    everyone = kpis.points_flow(MARCH)
    assert (everyone.issued, everyone.outstanding, everyone.liability) == (
        1065,
        1100,
        Decimal("55.00"),
    )
    online_only = kpis.points_flow(kpis.KpiFilter(MARCH.start, MARCH.end, channel="online"))
    assert online_only.outstanding == 1000


def test_nps_and_the_customer_loyalty_index(programme, shop, webshop):
    # recommend 10 9 9 8 6: promoters 3, passives 1, detractors 1 → (3 − 1) / 5 = 40.0
    # means: recommend 42/5 = 8.4; repurchase (8 + 10 + 6 + 4)/4 = 7.0; try new 15/3 = 5.0;
    # index (8.4 + 7.0 + 5.0) / 3 = 6.8
    for recommend, repurchase, try_new in [
        (10, 8, 7),
        (9, 10, None),
        (9, None, None),
        (8, 6, 5),
        (6, 4, 3),
    ]:
        SurveyResponse.objects.create(
            member=member_on("2025-01-01", store=shop),
            recommend_score=recommend,
            repurchase_score=repurchase,
            try_new_score=try_new,
            created_at=at(d("2025-03-15")),
        )
    # outside the period, and (for the store filter) another store's member
    SurveyResponse.objects.create(
        member=member_on("2025-01-01", store=shop),
        recommend_score=0,
        created_at=at(d("2025-04-01")),
    )
    SurveyResponse.objects.create(
        member=member_on("2025-01-01", store=webshop),
        recommend_score=0,
        created_at=at(d("2025-03-02")),
    )
    in_shop = kpis.KpiFilter(MARCH.start, MARCH.end, store_id=shop.pk)
    # when
    score = kpis.nps(in_shop)
    index = kpis.loyalty_index(in_shop)
    # then
    assert (score.responses, score.promoters, score.passives, score.detractors) == (5, 3, 1, 1)
    assert score.score == Decimal("40.0")
    assert (index.recommend, index.repurchase, index.try_new, index.index) == (
        Decimal("8.4"),
        Decimal("7.0"),
        Decimal("5.0"),
        Decimal("6.8"),
    )
    # everyone: one more detractor → (3 − 2) / 6 = 16.7
    assert kpis.nps(MARCH).score == Decimal("16.7")


def test_nps_without_answers_is_empty_not_zero(db):
    score = kpis.nps(MARCH)
    assert (score.responses, score.score) == (0, None)
    assert kpis.loyalty_index(MARCH).index is None


def test_csat_is_the_share_of_satisfied_answers_with_the_mean_beside_it(programme, shop, webshop):
    # 10 8 7 5 in the shop's members: satisfied (8–10) 2 of 4 → 50.0 %; mean 30 / 4 = 7.5
    for score in (10, 8, 7, 5):
        member = member_on("2025-01-01", store=shop)
        SatisfactionResponse.objects.create(
            member=member,
            purchase=purchase(member, shop, "2025-03-10"),
            score=score,
            created_at=at(d("2025-03-11")),
        )
    # outside the period, and another store's member
    late = member_on("2025-01-01", store=shop)
    SatisfactionResponse.objects.create(
        member=late,
        purchase=purchase(late, shop, "2025-03-31"),
        score=1,
        created_at=at(d("2025-04-01")),
    )
    elsewhere = member_on("2025-01-01", store=webshop)
    SatisfactionResponse.objects.create(
        member=elsewhere,
        purchase=purchase(elsewhere, webshop, "2025-03-02"),
        score=9,
        created_at=at(d("2025-03-02")),
    )
    in_shop = kpis.KpiFilter(MARCH.start, MARCH.end, store_id=shop.pk)
    # when
    score = kpis.csat(in_shop)
    # then
    assert (score.responses, score.satisfied, score.score, score.mean) == (
        4,
        2,
        Decimal("50.0"),
        Decimal("7.5"),
    )
    # everyone: 3 of 5 → 60.0 %
    assert kpis.csat(MARCH).score == Decimal("60.0")
    # no answers: empty, not zero
    assert kpis.csat(kpis.KpiFilter(d("2024-01-01"), d("2024-01-31"))).score is None


def test_the_rfm_grid_counts_members_per_recency_and_frequency(programme, shop):
    for recency, frequency, monetary in [(5, 5, 4), (5, 5, 2), (1, 2, 1)]:
        MemberStats.objects.create(
            member=member_on("2025-01-01", store=shop),
            purchase_count=1,
            recency_score=recency,
            frequency_score=frequency,
            monetary_score=monetary,
        )
    MemberStats.objects.create(member=member_on("2025-01-01", store=shop))  # never bought
    from insights.services import kpi_summaries_refresh

    kpi_summaries_refresh()
    grid = kpis.rfm_grid(MARCH)
    assert grid.cells == {(5, 5): (2, Decimal("3.0")), (1, 2): (1, Decimal("1.0"))}
    assert grid.members == 3


def test_reactivation_offers_sent_used_converted_and_the_revenue_after(programme, shop):
    automation = AutomationFactory(trigger="dormant", name="Terugkomkorting")
    welcome = AutomationFactory(trigger="welcome", name="Welkom")
    came_back, stayed_away, unreachable = (member_on("2025-01-01", store=shop) for _ in range(3))
    used_code = IssuedReward.objects.create(
        reward=automation.reward,
        member=came_back,
        code="ABCDEFGHJKLM",
        status=IssuedReward.Status.USED,
        source=IssuedReward.Source.CAMPAIGN,
        value=Decimal("5.00"),
        expires_at=at(d("2025-04-10")),
    )

    def offer(member, status, **extra):
        return Delivery.objects.create(
            automation=automation,
            member=member,
            period_key=f"k{member.pk}",
            status=status,
            created_at=at(d("2025-03-10")),
            offer_expires_at=at(d("2025-04-09")),
            **extra,
        )

    offer(came_back, "sent", issued_reward=used_code, converted_at=at(d("2025-03-15")))
    offer(stayed_away, "sent")
    offer(unreachable, "skipped", skip_reason="no_consent")
    Delivery.objects.create(  # not a reactivation offer
        automation=welcome,
        member=came_back,
        period_key="w",
        status="sent",
        created_at=at(d("2025-03-10")),
    )
    # within the offer: 30.00 and 25.00 − 5.00 discount; before and after it: not counted
    purchase(came_back, shop, "2025-03-15", "30.00")
    purchase(came_back, shop, "2025-04-01", "25.00", discount="5.00")
    purchase(came_back, shop, "2025-03-01", "99.00")
    purchase(came_back, shop, "2025-04-20", "99.00")
    # when
    result = kpis.reactivation(MARCH)
    # then
    (row,) = result.rows
    assert (row.name, row.sent, row.offered, row.codes_used, row.came_back) == (
        "Terugkomkorting",
        2,
        3,
        1,
        1,
    )
    assert row.revenue == Decimal("50.00")
    assert result.total.revenue == Decimal("50.00")


@pytest.mark.parametrize(
    ("start", "end", "granularity", "buckets"),
    [
        ("2025-03-01", "2025-03-31", "week", 6),  # Sat 1st–Sun 2nd, 4 whole weeks, Mon 31st
        ("2025-01-01", "2025-12-31", "month", 12),
        ("2025-03-15", "2025-03-15", "week", 1),
    ],
)
def test_periods_are_shown_per_week_or_per_month(start, end, granularity, buckets):
    kpi_filter = kpis.KpiFilter(d(start), d(end))
    assert kpi_filter.granularity == granularity
    assert len(kpi_filter.buckets()) == buckets
    assert kpi_filter.buckets()[0].start == d(start)
    assert kpi_filter.buckets()[-1].end == d(end)


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="ends before"):
        kpis.KpiFilter(d("2025-03-02"), d("2025-03-01"))


def test_figures_before_any_rebuild_are_empty_not_an_error(db):
    assert kpis.churn(MARCH).rate is None
    assert kpis.repeat_purchases(MARCH).at_end.repeat_rate is None
    assert kpis.latest_refresh() is None
    assert kpis.points_flow(MARCH).outstanding == 0  # the ledger is read live


@pytest.mark.parametrize(
    ("recommend", "category", "attitude"),
    [
        (0, "detractor", "dissatisfied"),
        (6, "detractor", "dissatisfied"),
        (7, "passive", "neutral"),
        (8, "passive", "neutral"),
        (9, "promoter", "satisfied"),
        (10, "promoter", "satisfied"),
    ],
)
def test_the_nps_the_segments_and_the_attitude_grid_agree_on_each_answer(
    shop, recommend, category, attitude
):
    # given one answer on a category's edge
    SurveyResponse.objects.create(
        member=member_on("2025-01-01", store=shop),
        recommend_score=recommend,
        created_at=at(d("2025-03-15")),
    )
    # when
    score = kpis.nps(MARCH)
    # then the dashboard counts it where the segments and the grid place it
    counted = {"promoter": score.promoters, "passive": score.passives}
    counted["detractor"] = score.detractors
    assert counted == {name: int(name == category) for name in counted}
    assert NPS_LOWEST[category] <= recommend <= NPS_HIGHEST[category]
    assert attitude_of(nps_score=recommend) == attitude
