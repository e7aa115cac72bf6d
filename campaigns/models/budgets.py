"""Money budgets: what an automation or a bonus campaign has spent, in euros, per day and in all."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from points.models import MONEY

TOTAL = "total"


@dataclass(frozen=True)
class Budget:
    """The euro budgets of an automation or bonus campaign, and the key of its rows
    (`automation:<id>`, `bonuscampaign:<id>`)."""

    owner: str
    per_day: Decimal | None
    total: Decimal | None

    @classmethod
    def of(cls, target: models.Model) -> "Budget":
        return cls(
            owner=f"{target._meta.model_name}:{target.pk}",
            per_day=target.budget_per_day,  # type: ignore[attr-defined]
            total=target.budget_total,  # type: ignore[attr-defined]
        )

    @property
    def is_set(self) -> bool:
        return self.per_day is not None or self.total is not None

    def periods(self, day: str) -> tuple[str, ...]:
        """The rows a grant on `day` is charged to, in their lock order."""
        return tuple(period for period, _cap in self.caps(day))

    def caps(self, day: str) -> list[tuple[str, Decimal]]:
        """(period, budget) of the budgets set: the total first, the lock order of its rows."""
        return [
            (period, cap)
            for period, cap in ((TOTAL, self.total), (day, self.per_day))
            if cap is not None
        ]


class BudgetSpend(models.Model):
    """The euros one automation or bonus campaign has spent in one period: `total`, or a local
    day (`2026-11-30`, Europe/Amsterdam). The row is the lock that keeps a budget from being
    overspent (campaigns.services.budgets.budget_take): each grant locks it, checks what is left
    and adds its cost, in the same transaction as the reward it pays for."""

    owner = models.CharField(_("spent by"), max_length=32)  # automation:<id> or bonuscampaign:<id>
    period = models.CharField(_("period"), max_length=10)  # "total" or an ISO date
    spent = models.DecimalField(_("spent (€)"), default=0, **MONEY)

    class Meta:
        verbose_name = _("budget spent")
        verbose_name_plural = _("budgets spent")
        constraints = [
            # One row per owner and period: the lock every grant of that budget queues on.
            models.UniqueConstraint(
                fields=["owner", "period"], name="budget_spend_once_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(spent__gte=0), name="budget_spend_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.period}"
