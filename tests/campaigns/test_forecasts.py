"""Forecast costs priced from what members do (#19): the dry run's redemption rate of similar
codes, and a bonus campaign's cost from the last comparable period."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import BonusCampaign
from campaigns.services import automation_dry_run, bonus_campaign_forecast, code_redemption_rate
from loyalty_site import roles
from points.models import PointAccount, Purchase
from rewards.models import IssuedReward
from tests.factories import (
    AutomationFactory,
    EarningRuleFactory,
    MemberFactory,
    RewardFactory,
    StoreFactory,
    TierFactory,
)
from tests.helpers import buy
from tests.staff.helpers import login

from .helpers import bought_days_ago

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _history(reward, *, used: int, expired: int, revoked: int = 0, source="campaign") -> None:
    """Codes of `reward` decided in the last weeks: used, expired unused, revoked."""
    member = MemberFactory()
    now = timezone.now()
    fates = [("used", now - DAY)] * used + [("expired", None)] * expired
    fates += [("revoked", None)] * revoked
    for index, (status, used_at) in enumerate(fates):
        IssuedReward.objects.create(
            reward=reward,
            member=member,
            code=f"H{reward.pk}X{index}",
            source=source,
            value=reward.value,
            status=status,
            used_at=used_at,
            issued_at=now - 40 * DAY,
            expires_at=now - 10 * DAY,
        )


# --- the dry run's redemption rate --------------------------------------------------------------


def test_the_dry_run_expects_the_share_of_similar_codes_that_were_used(client, store):
    # given four dormant members and a € 5 code of which 10 of 40 earlier codes were used
    for _ in range(4):
        bought_days_ago(MemberFactory(), store, 75)
    offer = AutomationFactory(trigger="dormant", days=60, bonus_points=0)
    _history(offer.reward, used=10, expired=30, revoked=5)

    # when
    result = automation_dry_run(offer)

    # then every code would cost € 20 if used, € 5 as expected (25 %, revoked ones left out)
    assert (result.reward_cost, result.redemption.percent, result.redemption.source) == (
        Decimal("20.00"),
        Decimal("25.0"),
        "reward",
    )
    assert (result.expected_reward_cost, result.expected_cost) == (Decimal("5.00"), Decimal("5.00"))
    login(client, roles.MARKETING)
    client.cookies["django_language"] = "en"
    page = client.get(
        reverse("admin:campaigns_automation_change", args=[offer.pk])
    ).content.decode()
    assert "Rewards, expected (25.0 % of codes used)" in page
    assert "as of this reward&#x27;s codes given by automations" in page


def test_too_little_history_of_the_reward_falls_back_to_codes_of_its_kind():
    now = timezone.now()
    reward = RewardFactory(points_cost=0, fixed=True)
    _history(reward, used=5, expired=5)  # too few of this reward
    _history(RewardFactory(points_cost=0, fixed=True), used=27, expired=3)
    _history(RewardFactory(points_cost=0), used=0, expired=50)  # another kind: percentage

    rate = code_redemption_rate(reward, now=now)

    assert (rate.percent, rate.source, rate.decided) == (Decimal("80.0"), "kind", 40)


def test_without_history_every_code_is_assumed_used_and_codes_bought_with_points_do_not_count():
    reward = RewardFactory(points_cost=0, fixed=True)
    _history(reward, used=40, expired=0, source="points")

    rate = code_redemption_rate(reward, now=timezone.now())

    assert (rate.percent, rate.source, rate.share) == (None, "assumed", Decimal("1"))


# --- a bonus campaign's forecast -----------------------------------------------------------------


@pytest.fixture
def shop_history():
    """A point per euro at € 0.01 a point. In the week before the campaign: Gold member Anna
    bought € 100 and € 50 in the city store and € 30 in the other; Bert (no tier) € 200 in the
    city store; Anna also bought € 500 three weeks ago (outside the comparable week)."""
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    city, other = StoreFactory(code="CITY"), StoreFactory(code="OTHER")
    gold = TierFactory(rank=2)
    anna, bert = MemberFactory(), MemberFactory()
    now = timezone.now()
    buy(anna, city, "100.00", occurred_at=now - 2 * DAY)
    buy(anna, city, "50.00", occurred_at=now - 3 * DAY, lines=[("KOF-1", "coffee", "20.00")])
    buy(anna, other, "30.00", occurred_at=now - 2 * DAY)
    buy(bert, city, "200.00", occurred_at=now - 1 * DAY)
    buy(anna, city, "500.00", occurred_at=now - 21 * DAY)
    PointAccount.objects.filter(member=anna).update(tier=gold)
    return {"city": city, "gold": gold, "now": now}


def _campaign(history, **kwargs) -> BonusCampaign:
    stores = kwargs.pop("stores", [history["city"]])
    tiers = kwargs.pop("tiers", [history["gold"]])
    campaign = BonusCampaign.objects.create(
        name_nl="Dubbele punten",
        name_en="Double points",
        starts_at=history["now"] + DAY,
        ends_at=history["now"] + 8 * DAY,  # a week
        **kwargs,
    )
    campaign.stores.set(stores)
    campaign.tiers.set(tiers)
    return campaign


def test_a_multiplier_campaign_is_priced_from_the_last_comparable_weeks_qualifying_spend(
    shop_history,
):
    # given double points for Gold members in the city store, € 1 in total
    campaign = _campaign(
        shop_history, kind="multiplier", multiplier=Decimal("2"), budget_total=Decimal("1.00")
    )

    # when
    forecast = bonus_campaign_forecast(campaign, now=shop_history["now"])

    # then Anna's € 150 in the city store that week: 150 extra points, € 1.50, past the budget
    assert forecast.compared_until == campaign.starts_at - DAY  # now: it has not started
    assert (forecast.members, forecast.buyers, forecast.purchases) == (1, 1, 2)
    assert (forecast.qualifying_spend, forecast.points, forecast.cost) == (
        Decimal("150.00"),
        150,
        Decimal("1.50"),
    )
    assert forecast.over_total


def test_the_members_held_out_take_their_share_off_the_forecast(client, shop_history):
    # given the same double points, with 20 % of the members held out
    campaign = _campaign(
        shop_history, kind="multiplier", multiplier=Decimal("2"), holdout_percent=20
    )

    forecast = bonus_campaign_forecast(campaign, now=shop_history["now"])

    # then 80 % of Anna's 150 extra points: 120 points, € 1.20
    assert (forecast.points, forecast.cost) == (120, Decimal("1.20"))
    login(client, roles.MARKETING)
    client.cookies["django_language"] = "en"
    page = client.get(
        reverse("admin:campaigns_bonuscampaign_change", args=[campaign.pk])
    ).content.decode()
    assert "Less the 20 % held out" in page


def test_a_fixed_bonus_counts_purchases_above_its_minimum_spend_for_everyone_everywhere(
    shop_history,
):
    campaign = _campaign(
        shop_history,
        kind="fixed_bonus",
        bonus_points=50,
        minimum_spend=Decimal("60.00"),
        stores=[],
        tiers=[],
        budget_per_day=Decimal("0.10"),
    )

    forecast = bonus_campaign_forecast(campaign, now=shop_history["now"])

    # Anna's € 100 and Bert's € 200 qualify: 2 × 50 points = € 1.00, about € 0.14 a day
    assert (forecast.purchases, forecast.buyers, forecast.points, forecast.cost) == (
        2,
        2,
        100,
        Decimal("1.00"),
    )
    assert (forecast.cost_per_day, forecast.over_per_day) == (Decimal("0.14"), True)
    assert not forecast.over_total


def test_a_campaign_on_a_category_counts_only_those_lines(shop_history):
    campaign = _campaign(
        shop_history, kind="multiplier", multiplier=Decimal("3"), categories="Coffee", tiers=[]
    )

    forecast = bonus_campaign_forecast(campaign, now=shop_history["now"])

    # the € 20 of coffee in Anna's € 50: 20 × 1 × (3 − 1) = 40 points
    assert (forecast.qualifying_spend, forecast.points, forecast.cost) == (
        Decimal("20.00"),
        40,
        Decimal("0.40"),
    )


def test_a_discount_is_spread_over_the_lines_to_the_cent_on_every_database(shop_history):
    # given a € 30 basket (coffee € 10, tea € 20) with € 10 off, in a store of its own
    store = StoreFactory()
    outcome = buy(
        MemberFactory(),
        store,
        "30.00",
        occurred_at=shop_history["now"] - 2 * DAY,
        lines=[("KOF-2", "Coffee", "10.00"), ("THE-1", "Tea", "20.00")],
    )
    Purchase.objects.filter(pk=outcome.purchase.pk).update(discount_total=Decimal("10.00"))
    campaign = _campaign(
        shop_history,
        kind="multiplier",
        multiplier=Decimal("3"),
        categories="Coffee",
        tiers=[],
        stores=[store],
    )

    forecast = bonus_campaign_forecast(campaign, now=shop_history["now"])

    # then coffee's share of what was paid: 10 × 20 / 30 = € 6.67 (SQLite divided whole euros
    # as integers: € 6), 6.67 × 2 = 13 points
    assert (forecast.qualifying_spend, forecast.points) == (Decimal("6.67"), 13)


def test_a_running_campaign_is_compared_with_the_period_before_it_started(shop_history):
    now = shop_history["now"]
    campaign = _campaign(shop_history, kind="fixed_bonus", bonus_points=10, tiers=[])
    campaign.starts_at, campaign.ends_at = now - DAY, now + 6 * DAY  # a week, one day gone
    campaign.save()

    forecast = bonus_campaign_forecast(campaign, now=now)

    # not with its own days, which its points may have changed
    assert (forecast.compared_from, forecast.compared_until) == (now - 8 * DAY, now - DAY)


def test_the_bonus_campaign_page_shows_the_forecast_and_how_it_was_priced(client, shop_history):
    campaign = _campaign(
        shop_history, kind="multiplier", multiplier=Decimal("2"), budget_total=Decimal("1.00")
    )
    login(client, roles.MARKETING)
    client.cookies["django_language"] = "en"

    page = client.get(
        reverse("admin:campaigns_bonuscampaign_change", args=[campaign.pk])
    ).content.decode()
    empty = client.get(reverse("admin:campaigns_bonuscampaign_add")).content.decode()

    assert '<strong id="bonus-forecast-cost">€\xa01.50</strong>' in page
    assert "the forecast passes it" in page
    assert "Priced from the last comparable period" in page
    assert "Shown once the campaign is saved" in empty


def test_the_forecast_speaks_dutch_with_dutch_money(client, shop_history):
    campaign = _campaign(
        shop_history, kind="multiplier", multiplier=Decimal("2"), budget_total=Decimal("1.00")
    )
    login(client, roles.MARKETING)
    client.cookies["django_language"] = "nl"

    page = client.get(
        reverse("admin:campaigns_bonuscampaign_change", args=[campaign.pk])
    ).content.decode()

    assert "€\xa01,50</strong> voor de hele periode (150 punten)." in page
    assert "de verwachting gaat erboven" in page
