"""Money budgets: an automation's or a bonus campaign's spending in euros, per day and in all.

What counts: the discount of a code (a fixed amount or free product at its value, a percentage
at the programme's usual basket), store credit at its value, and bonus points at the
programme's point value (`points.selectors.points_money_value`). The cost is taken when the
reward is given (fulfilment, or the purchase that earns a campaign's points), in the same
transaction; a code given earlier is honoured at checkout whatever the budget says now, since
its cost was taken when it was issued.

Concurrency: `budget_take` locks the owner's budget rows (`BudgetSpend`, `FOR UPDATE`, the
total before the day) in the lock order of docs/architecture.md, so parallel grants queue and
the sum never passes the budget.
"""

import datetime
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Avg, F
from django.utils import timezone

from points.models import Purchase
from points.selectors import points_money_value
from rewards.models import Reward, RewardKind

from ..models import BudgetSpend
from ..models.budgets import Budget
from ..selectors import local_today

CENT = Decimal("0.01")
BASKET_DAYS = 365


def usual_basket(*, now: datetime.datetime) -> Decimal:
    """The programme's average purchase of the last year: what a percentage code is priced at."""
    average = Purchase.objects.filter(
        occurred_at__gte=now - datetime.timedelta(days=BASKET_DAYS)
    ).aggregate(average=Avg("amount"))["average"]
    return Decimal(average or 0).quantize(CENT)


def reward_cost(reward: Reward | None, *, basket: Decimal) -> Decimal:
    """What one reward costs the budget, in euros."""
    if reward is None:
        return Decimal("0.00")
    if reward.kind == RewardKind.PERCENTAGE_DISCOUNT:
        return (max(basket, reward.minimum_spend) * reward.value / 100).quantize(CENT)
    return (reward.value or Decimal("0")).quantize(CENT)


def offer_cost(reward: Reward | None, bonus_points: int, *, now: datetime.datetime) -> Decimal:
    """One member's offer: the reward and the bonus points at their euro value."""
    basket = (
        usual_basket(now=now)
        if reward is not None and reward.kind == RewardKind.PERCENTAGE_DISCOUNT
        else Decimal("0")
    )
    return reward_cost(reward, basket=basket) + points_money_value(bonus_points)


def budget_take(
    budget: Budget,
    *,
    unit_cost: Decimal,
    wanted: int,
    now: datetime.datetime | None = None,
) -> int:
    """Takes the cost of up to `wanted` grants of `unit_cost` from `budget`; returns how many
    fit (all of them without a budget or at no cost).

    Locks the budget's rows (created at 0 if missing), the total before the day, and adds what
    it took; runs inside the caller's transaction, so a grant rolled back gives its cost back
    with it."""
    if wanted <= 0 or unit_cost <= 0 or not budget.is_set:
        return max(wanted, 0)
    caps = budget.caps(local_today(now or timezone.now()).isoformat())
    periods = [period for period, _cap in caps]
    with transaction.atomic(savepoint=False):
        BudgetSpend.objects.bulk_create(
            [BudgetSpend(owner=budget.owner, period=period) for period in periods],
            ignore_conflicts=True,
        )
        spent = dict(
            BudgetSpend.objects.select_for_update()
            .filter(owner=budget.owner, period__in=periods)
            .order_by("-period")  # "total" sorts after the digits of a date: the total first
            .values_list("period", "spent")
        )
        taken = wanted
        for period, cap in caps:
            left = cap - spent[period]
            fits = (
                int((left / unit_cost).to_integral_value(rounding=ROUND_FLOOR)) if left > 0 else 0
            )
            taken = min(taken, fits)
        if taken:
            BudgetSpend.objects.filter(owner=budget.owner, period__in=periods).update(
                spent=F("spent") + unit_cost * taken
            )
    return taken


def budget_give_back(
    budget: Budget, *, unit_cost: Decimal, count: int, now: datetime.datetime
) -> None:
    """Returns what `budget_take` took for grants that were not given after all (the stock ran
    out), in the same transaction, which still holds the lock on the rows."""
    if count <= 0 or unit_cost <= 0 or not budget.is_set:
        return
    periods = [period for period, _cap in budget.caps(local_today(now).isoformat())]
    BudgetSpend.objects.filter(owner=budget.owner, period__in=periods).update(
        spent=F("spent") - unit_cost * count
    )
