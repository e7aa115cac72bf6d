"""Codes a euro budget paid for (#19): the budget is settled to what each code really cost.

An automation's budget reserves a code's estimated cost when it issues the code (a percentage
code at the usual basket). Each code records that reservation (`IssuedReward.budget_owner`,
`budget_periods`, `budget_cost`); when the code is used the budget is settled to the discount it
really gave, and when it expires unused or is revoked its reservation is given back. So a
budget always shows real spend plus outstanding reservations.

The budget rows belong to campaigns, which registers the function that moves them (a lower app
never imports a higher one); without one registered, only the codes' own figures change.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from .models import IssuedReward


@dataclass(frozen=True)
class BudgetChange:
    """Euros to add to each of `periods` of `owner`'s budget rows (negative: given back)."""

    owner: str
    periods: tuple[str, ...]
    amount: Decimal


BudgetSettler = Callable[[list[BudgetChange]], None]
_settler: BudgetSettler | None = None


def register_budget_settler(settler: BudgetSettler) -> None:
    global _settler
    _settler = settler


def codes_budget_settle(targets: Iterable[tuple[int, Decimal]]) -> list[BudgetChange]:
    """Sets what each code (issued reward id, euros) counts for in the budget that paid for it,
    and moves that budget by the differences; returns the changes made.

    Call inside the transaction that changes the codes, with the codes locked: their row lock
    makes it exact, and a second settlement to the same target (a replay) moves nothing. Codes
    no budget paid for are left alone. The budget rows are locked after the codes (lock order,
    docs/architecture.md). Never refuses: a code was promised, so its real cost is recorded even
    past the budget.
    """
    wanted = dict(targets)
    if not wanted:
        return []
    changes: list[BudgetChange] = []
    by_target: dict[Decimal, list[int]] = defaultdict(list)
    for pk, owner, periods, cost in (
        IssuedReward.objects.filter(pk__in=wanted)
        .exclude(budget_owner="")
        .order_by("pk")
        .values_list("pk", "budget_owner", "budget_periods", "budget_cost")
    ):
        target = wanted[pk]
        if target == cost:
            continue
        by_target[target].append(pk)
        changes.append(BudgetChange(owner, tuple(periods.split()), target - cost))
    if not changes:
        return []
    with transaction.atomic(savepoint=False):
        for target, ids in by_target.items():
            IssuedReward.objects.filter(pk__in=ids).update(budget_cost=target)
        if _settler is not None:
            _settler(changes)
    return changes
