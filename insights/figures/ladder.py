"""The loyalty ladder: members per stage over time, and who moved up."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Q,
    Value,
    When,
)

from campaigns.lifecycle import STAGES

from ..models import MemberMilestone
from .series import (
    Bucket,
    DailySeries,
    KpiFilter,
    daily_series,
)


@dataclass(frozen=True)
class Ladder:
    at_start: dict[str, int]
    rows: list[tuple[Bucket, dict[str, int]]]
    # (from stage, to stage) → members; from "" = enrolled during the period.
    moves: dict[tuple[str, str], int]

    @property
    def at_end(self) -> dict[str, int]:
        return self.rows[-1][1]

    def stayed(self, stage: str) -> int:
        moved_on = sum(count for (before, _after), count in self.moves.items() if before == stage)
        return self.at_start.get(stage, 0) - moved_on


def _stage_at(day: datetime.date) -> Case:
    return Case(
        When(ambassador_on__lte=day, then=Value("ambassador")),
        When(loyal_on__lte=day, then=Value("loyal")),
        When(returning_on__lte=day, then=Value("returning")),
        When(enrolled_on__lte=day, then=Value("new")),
        default=Value(""),
    )


def ladder(kpi_filter: KpiFilter, *, series: DailySeries | None = None) -> Ladder:
    """Members per ladder stage, and who moved up during the period (from → to)."""
    series = series or daily_series(kpi_filter, prefix="stage:")
    ends = {stage: series.at_bucket_ends(f"stage:{stage}") for stage in STAGES}
    period = (kpi_filter.start, kpi_filter.end)
    # Only members who reached a rung (or enrolled) in the period can have moved.
    moved = (
        MemberMilestone.objects.filter(kpi_filter.summary_scope())
        .filter(
            Q(enrolled_on__range=period)
            | Q(returning_on__range=period)
            | Q(loyal_on__range=period)
            | Q(ambassador_on__range=period)
        )
        .annotate(before=_stage_at(kpi_filter.day_before), after=_stage_at(kpi_filter.end))
        .values("before", "after")
        .annotate(members=Count("pk"))
        .order_by()
    )
    moves = {
        (row["before"], row["after"]): row["members"]
        for row in moved
        if row["before"] != row["after"]
    }
    return Ladder(
        at_start={stage: series.at_start(f"stage:{stage}") for stage in STAGES},
        rows=[
            (bucket, {stage: ends[stage][index] for stage in STAGES})
            for index, bucket in enumerate(series.buckets)
        ],
        moves=moves,
    )
