"""The euro budgets' spent amounts, as the automation and bonus campaign forms show them."""

from django.utils.translation import gettext as _

from core.money import money_display

from . import selectors
from .models.budgets import Budget


def budget_spent_display(target) -> str:
    """ "€ 12,50 today, € 340,00 in total" (Dutch formats in Dutch); nothing before it is saved."""
    if target is None or target.pk is None:
        return "—"
    state = selectors.budget_state(Budget.of(target))
    return _("%(today)s today, %(total)s in total") % {
        "today": money_display(state.spent_today),
        "total": money_display(state.spent_total),
    }
