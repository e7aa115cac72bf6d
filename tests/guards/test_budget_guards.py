"""Euro budgets under parallel grants, on real PostgreSQL connections: never overspent."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import BonusCampaign, BudgetSpend, Delivery
from campaigns.models.budgets import Budget
from campaigns.services import deliveries_fulfil
from campaigns.services.budgets import budget_take
from rewards.models import IssuedReward
from tests.concurrency import run_in_parallel
from tests.factories import AutomationFactory, MemberFactory, StoreFactory
from tests.helpers import buy
from tests.markers import postgres_only

race = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _take(budget: Budget) -> int:
    with transaction.atomic(durable=True):
        return budget_take(budget, unit_cost=Decimal("5.00"), wanted=1)


@postgres_only
@race
def test_parallel_grants_never_pass_the_budget():
    # given € 15 a day and in all, € 5 a grant
    offer = AutomationFactory(budget_per_day=Decimal("15.00"), budget_total=Decimal("15.00"))
    budget = Budget.of(offer)
    # when 8 grants race (the rows do not exist yet: they are created in the race)
    results = run_in_parallel(lambda _index: _take(budget), 8)
    # then exactly 3 fit, and both rows hold exactly the budget
    assert sorted(results) == [0] * 5 + [1] * 3
    assert sorted(BudgetSpend.objects.values_list("spent", flat=True)) == [Decimal("15.00")] * 2


@postgres_only
@race
def test_parallel_fulfilments_of_one_automation_stay_within_its_budget():
    # given 8 welcome deliveries, each fulfilled by its own job, and money for 3 codes of € 5
    offer = AutomationFactory(trigger="welcome", channel="none", budget_total=Decimal("15.00"))
    deliveries = [
        Delivery.objects.create(automation=offer, member=MemberFactory(), period_key="once")
        for _ in range(8)
    ]
    # when they run at once
    results = run_in_parallel(
        lambda index: deliveries_fulfil([deliveries[index].pk], queue_sends=False), 8
    )
    # then 3 members get a code and 5 are skipped because the budget is spent
    assert not [result for result in results if isinstance(result, Exception)]
    assert IssuedReward.objects.count() == 3
    assert Delivery.objects.filter(skip_reason="budget_spent").count() == 5
    assert BudgetSpend.objects.get(period="total").spent == Decimal("15.00")


@postgres_only
@race
def test_parallel_purchases_never_spend_more_of_a_bonus_campaign_than_its_budget():
    # given 100 bonus points (€ 1) per purchase and € 3 in all
    store = StoreFactory()
    now = timezone.now()
    BonusCampaign.objects.create(
        name_nl="Bonus",
        name_en="Bonus",
        kind="fixed_bonus",
        bonus_points=100,
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=1),
        budget_total=Decimal("3.00"),
    )
    members = [MemberFactory() for _ in range(8)]
    # when 8 members buy at once
    outcomes = run_in_parallel(lambda index: buy(members[index], store, "10.00"), 8)
    # then exactly 3 purchases carry the campaign's points
    campaign_points = [
        sum(line.points for line in outcome.receipt.explanation if line.source == "campaign")
        for outcome in outcomes
    ]
    assert sorted(campaign_points) == [0] * 5 + [100] * 3
    assert BudgetSpend.objects.get(period="total").spent == Decimal("3.00")


@pytest.mark.django_db
def test_the_database_refuses_a_second_budget_row_for_one_period():
    BudgetSpend.objects.create(owner="automation:1", period="2026-11-30")
    BudgetSpend.objects.create(owner="automation:1", period="total")
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetSpend.objects.create(owner="automation:1", period="2026-11-30", spent="1.00")
