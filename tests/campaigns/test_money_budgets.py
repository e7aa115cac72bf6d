"""Budgets in euros: an automation and a bonus campaign stop giving when their budget is spent."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import Automation, BonusCampaign, BudgetSpend, Delivery
from campaigns.models.budgets import Budget
from campaigns.selectors import budget_state
from campaigns.services import automation_dry_run, automation_run
from campaigns.services.budgets import budget_take
from loyalty_site import roles
from points.services import PurchaseRequest, purchase_quote
from rewards.models import IssuedReward
from tests.factories import AutomationFactory, MemberFactory, RewardFactory
from tests.helpers import buy
from tests.staff.helpers import login

from .helpers import bonus_campaign_form, bought_days_ago
from .test_message_templates import _form_data

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _dormant(count, store):
    members = [
        MemberFactory(first_name=f"Lid{index}", email_consent_at=timezone.now())
        for index in range(count)
    ]
    for member in members:
        bought_days_ago(member, store, 75)
    return members


def _campaign(**kwargs) -> BonusCampaign:
    now = timezone.now()
    return BonusCampaign.objects.create(
        name_nl="Bonus",
        name_en="Bonus",
        kind="fixed_bonus",
        bonus_points=100,  # € 1,00 at the default point value of € 0,01
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=1),
        **kwargs,
    )


def _campaign_points(outcome) -> int:
    return sum(line.points for line in outcome.receipt.explanation if line.source == "campaign")


# --- automations ------------------------------------------------------------------------------


def test_an_automation_stops_giving_exactly_at_its_budget_per_day(
    store, django_capture_on_commit_callbacks
):
    # given five dormant members and a € 5 code with € 15 a day
    _dormant(5, store)
    offer = AutomationFactory(
        trigger="dormant", days=60, budget_per_day=Decimal("15.00"), bonus_points=0
    )
    # when it runs
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(offer)
    # then three get a code and two are skipped, saying why
    skipped = Delivery.objects.filter(status=Delivery.Status.SKIPPED)
    assert IssuedReward.objects.count() == 3
    assert skipped.count() == 2
    assert set(skipped.values_list("skip_reason", flat=True)) == {"budget_spent"}
    assert not skipped.exclude(issued_reward=None).exists()
    state = budget_state(Budget.of(offer))
    assert (state.spent_today, state.spent_total, state.left) == (
        Decimal("15.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_the_total_budget_counts_bonus_points_at_their_euro_value(
    store, django_capture_on_commit_callbacks
):
    # given a € 5 code plus 250 points (€ 2,50) per member, € 20 in all
    _dormant(4, store)
    offer = AutomationFactory(
        trigger="dormant", days=60, bonus_points=250, budget_total=Decimal("20.00")
    )
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(offer)
    # then two members fit (€ 15), the third would pass € 20
    assert Delivery.objects.exclude(issued_reward=None).count() == 2
    assert Delivery.objects.exclude(bonus_entry=None).count() == 2
    assert budget_state(Budget.of(offer)).spent_total == Decimal("15.00")


def test_members_left_without_a_code_by_the_stock_cost_nothing(
    store, django_capture_on_commit_callbacks
):
    _dormant(4, store)
    reward = RewardFactory(points_cost=0, fixed=True, stock=2)
    offer = AutomationFactory(
        trigger="dormant", days=60, reward=reward, budget_per_day=Decimal("100.00")
    )
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(offer)
    assert Delivery.objects.filter(skip_reason="out_of_stock").count() == 2
    assert budget_state(Budget.of(offer)).spent_today == Decimal("10.00")


def test_the_daily_budget_starts_again_on_the_next_local_day():
    offer = AutomationFactory(budget_per_day=Decimal("10.00"))
    budget = Budget.of(offer)
    # 23:59 and 00:01 in Amsterdam: the same UTC date, two local days
    late = datetime.datetime(2026, 11, 30, 23, 59, tzinfo=AMSTERDAM)
    early = datetime.datetime(2026, 12, 1, 0, 1, tzinfo=AMSTERDAM)
    assert late.astimezone(datetime.UTC).date() == early.astimezone(datetime.UTC).date()
    assert budget_take(budget, unit_cost=Decimal("4.00"), wanted=5, now=late) == 2
    assert budget_take(budget, unit_cost=Decimal("4.00"), wanted=1, now=late) == 0
    assert budget_take(budget, unit_cost=Decimal("4.00"), wanted=5, now=early) == 2
    assert dict(BudgetSpend.objects.values_list("period", "spent")) == {
        "2026-11-30": Decimal("8.00"),
        "2026-12-01": Decimal("8.00"),
    }


def test_a_code_given_before_the_budget_ran_out_still_works_at_the_till(
    store, member, django_capture_on_commit_callbacks
):
    # given a code from an automation whose budget is now spent
    bought_days_ago(member, store, 75)
    offer = AutomationFactory(trigger="dormant", days=60, budget_total=Decimal("5.00"))
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(offer)
    code = IssuedReward.objects.get()
    assert budget_state(Budget.of(offer)).left == Decimal("0.00")
    # when the member uses it, then the discount is given: its cost was counted when issued
    outcome = buy(member, store, "30.00", codes=(code.code,))
    assert outcome.receipt.discount_total == Decimal("5.00")
    assert budget_state(Budget.of(offer)).spent_total == Decimal("5.00")


def test_the_dry_run_says_after_how_many_members_the_budget_stops_it(store):
    _dormant(6, store)
    offer = AutomationFactory(trigger="dormant", days=60, budget_per_day=Decimal("12.00"))
    result = automation_dry_run(offer)
    assert (result.would_get, result.money_left, result.stops_after) == (6, Decimal("12.00"), 2)
    offer.budget_per_day = Decimal("100.00")
    assert automation_dry_run(offer).stops_after is None


def test_the_automation_page_shows_the_budget_the_spending_and_the_dry_run_stop(client, store):
    _dormant(3, store)
    offer = AutomationFactory(trigger="dormant", days=60, budget_per_day=Decimal("5.00"))
    BudgetSpend.objects.create(owner=Budget.of(offer).owner, period="total", spent="1234.50")
    login(client, roles.MARKETING)
    with translation.override("nl"):
        page = client.get(
            reverse("admin:campaigns_automation_change", args=[offer.pk]),
            HTTP_ACCEPT_LANGUAGE="nl",
        ).content.decode()
    assert "Budget per dag (€)" in page
    assert "€\xa01.234,50 in totaal" in page
    assert 'id="automation-budget-stop"' in page


@pytest.mark.parametrize("field", ["budget_per_day", "budget_total"])
def test_a_negative_budget_is_a_form_error_and_nothing_is_saved(client, field):
    login(client, roles.MARKETING)
    response = client.post(reverse("admin:campaigns_automation_add"), _form_data(**{field: "-5"}))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Automation.objects.exists()


def test_a_negative_bonus_campaign_budget_is_a_form_error(client):
    login(client, roles.MARKETING)
    response = client.post(
        reverse("admin:campaigns_bonuscampaign_add"),
        bonus_campaign_form(budget_total="-1,00"),
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response.status_code == 200
    assert "budget_total" in response.context["adminform"].form.errors
    assert not BonusCampaign.objects.exists()


# --- bonus campaigns --------------------------------------------------------------------------


def test_a_bonus_campaign_stops_adding_points_when_its_budget_is_spent(member, store):
    # given 100 bonus points (€ 1) a purchase and € 2 in all
    _campaign(budget_total=Decimal("2.00"))
    earned = [_campaign_points(buy(member, store, "10.00")) for _ in range(3)]
    # then the third purchase earns no campaign points
    assert earned == [100, 100, 0]
    assert budget_state(Budget.of(BonusCampaign.objects.get())).spent_total == Decimal("2.00")


def test_a_quote_shows_the_campaign_within_the_budget_but_spends_nothing(member, store):
    campaign = _campaign(budget_per_day=Decimal("1.00"))
    request = PurchaseRequest(
        store=store, member=member, transaction_id="Q", amount=Decimal("10"), currency="EUR"
    )
    quoted = purchase_quote(request=request)
    assert any(line.source == "campaign" for line in quoted.explanation)
    assert budget_state(Budget.of(campaign)).spent_today == Decimal("0.00")
    buy(member, store, "10.00")
    again = purchase_quote(request=request)
    assert not any(line.source == "campaign" for line in again.explanation)
