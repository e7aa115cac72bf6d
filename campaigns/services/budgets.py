"""Money budgets: an automation's or a bonus campaign's spending in euros, per day and in all.

What counts: the discount of a code (a fixed amount or free product at its value, a percentage
at the programme's usual basket), store credit at its value, and bonus points at the
programme's point value (`points.selectors.points_money_value`). The cost is taken when the
reward is given (fulfilment, or the purchase that earns a campaign's points), in the same
transaction. A code's cost is a reservation, recorded on the code (`rewards.budgets`): when it
is used the budget is settled to the real discount (`budget_settle`, in the checkout's
transaction), and when it expires unused or is revoked the reservation is given back. A code
given earlier is honoured at checkout whatever the budget says now: the settlement adds its
real cost even past the budget, never refuses it (the code was promised).

Concurrency: `budget_take` and `budget_settle` lock the owner's budget rows (`BudgetSpend`,
`FOR UPDATE`, the total before the day; several owners in owner order) in the lock order of
docs/architecture.md, so parallel grants queue and the sum never passes the budget.
"""

import datetime
from collections import defaultdict
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Avg, Case, DecimalField, F, Q, Value, When
from django.utils import timezone

from points.models import Purchase
from points.selectors import points_money_value
from rewards.budgets import BudgetChange
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


def reward_reservation(reward: Reward | None, *, now: datetime.datetime) -> Decimal:
    """What a budget reserves for one reward when it is given (a percentage code at the
    programme's usual basket)."""
    basket = (
        usual_basket(now=now)
        if reward is not None and reward.kind == RewardKind.PERCENTAGE_DISCOUNT
        else Decimal("0")
    )
    return reward_cost(reward, basket=basket)


def offer_cost(reward: Reward | None, bonus_points: int, *, now: datetime.datetime) -> Decimal:
    """One member's offer: the reward and the bonus points at their euro value."""
    return reward_reservation(reward, now=now) + points_money_value(bonus_points)


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


def budget_settle(changes: list[BudgetChange]) -> None:
    """Adds each change to the budget rows its reservation was charged to (a code used for more
    or less than reserved, or given back when it expired or was revoked), inside the caller's
    transaction, which holds the codes' locks.

    Locks the rows first in the lock order (owners in order, each one's total before its day),
    the order `budget_take` uses, then adds with `F()`. Never refuses and never checks the
    budget: a redemption is never refused for it (the code was promised)."""
    amounts: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for change in changes:
        for period in change.periods:
            amounts[(change.owner, period)] += change.amount
    amounts = {key: amount for key, amount in amounts.items() if amount}
    if not amounts:
        return
    wanted = Q(pk__in=[])
    for owner in {owner for owner, _period in amounts}:
        wanted |= Q(owner=owner, period__in=[period for o, period in amounts if o == owner])
    with transaction.atomic(savepoint=False):
        # A row missing (a free product reserved at €0, so nothing was taken): created at 0.
        # Inserted in the lock order too: an insert holds its new row's key until the commit.
        in_lock_order = sorted(
            sorted(amounts, key=lambda key: key[1], reverse=True), key=lambda key: key[0]
        )
        BudgetSpend.objects.bulk_create(
            [BudgetSpend(owner=owner, period=period) for owner, period in in_lock_order],
            ignore_conflicts=True,
        )
        # The lock first, in order: the UPDATE alone would lock the rows in the order it finds
        # them (by pk, a day's row before the total when the day's budget came first) and could
        # deadlock with a grant locking the total first.
        rows = list(
            BudgetSpend.objects.select_for_update()
            .filter(wanted)
            .order_by("owner", "-period")  # "total" sorts after the digits of a date
            .values_list("pk", "owner", "period")
        )
        BudgetSpend.objects.filter(pk__in=[pk for pk, _owner, _period in rows]).update(
            spent=F("spent")
            + Case(
                *(When(pk=pk, then=Value(amounts[(owner, period)])) for pk, owner, period in rows),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
