"""Attitude × behaviour (seed 001: satisfaction is not loyalty): members who answered, by what
they say (satisfied / neutral / dissatisfied) and what they do (loyal / not loyal). The
categories are defined once, in `campaigns.attitude` and `campaigns.lifecycle`."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import BooleanField, Case, Count, Value, When
from django.utils import timezone

from accounts.models import Member
from campaigns.attitude import Attitude, Behaviour, attitude_expression
from campaigns.lifecycle import loyal_members
from points.models import LoyaltyProgram

from .series import KpiFilter, percent


@dataclass(frozen=True)
class AttitudeGrid:
    # (attitude, behaviour) → members
    cells: dict[tuple[str, str], int]

    @property
    def members(self) -> int:
        return sum(self.cells.values())

    def count(self, attitude: str, behaviour: str) -> int:
        return self.cells.get((attitude, behaviour), 0)

    @property
    def satisfied_not_loyal(self) -> int:
        return self.count(Attitude.SATISFIED, Behaviour.NOT_LOYAL)

    @property
    def loyal_dissatisfied(self) -> int:
        return self.count(Attitude.DISSATISFIED, Behaviour.LOYAL)

    @property
    def satisfied_not_loyal_share(self) -> Decimal | None:
        """Of the members who answered, the share satisfied but not loyal (in %)."""
        return percent(self.satisfied_not_loyal, self.members)

    @property
    def loyal_dissatisfied_share(self) -> Decimal | None:
        return percent(self.loyal_dissatisfied, self.members)


def attitude_grid(kpi_filter: KpiFilter, *, now: datetime.datetime | None = None) -> AttitudeGrid:
    """Members per attitude × behaviour, now (like the RFM grid, not tied to the period): one
    GROUP BY over the members, their last answers and their figures."""
    now = now or timezone.now()
    loyal = loyal_members(now=now, days=LoyaltyProgram.current().dormant_after_days)
    expression, parts = attitude_expression(now=now)
    rows = (
        Member.objects.filter(kpi_filter.member_scope(prefix=""))
        .alias(**parts)
        .annotate(
            said=expression,
            is_loyal=Case(
                When(loyal, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
        )
        .exclude(said="")
        .values("said", "is_loyal")
        .annotate(members=Count("pk"))
        .order_by()
    )
    return AttitudeGrid(
        cells={
            (
                row["said"],
                Behaviour.LOYAL if row["is_loyal"] else Behaviour.NOT_LOYAL,
            ): row["members"]
            for row in rows
        }
    )
