"""The RFM grid: members per recency × frequency score."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Sum,
)

from ..models import RfmCell
from .series import KpiFilter, mean


@dataclass(frozen=True)
class RfmGrid:
    # (recency, frequency) → (members, mean monetary score)
    cells: dict[tuple[int, int], tuple[int, Decimal | None]]

    @property
    def members(self) -> int:
        return sum(members for members, _monetary in self.cells.values())


def rfm_grid(kpi_filter: KpiFilter) -> RfmGrid:
    """Members per recency × frequency score (as of the last nightly scoring), with their mean
    monetary score. Not tied to the period: RFM looks back from today."""
    rows = (
        RfmCell.objects.filter(kpi_filter.summary_scope())
        .values("recency_score", "frequency_score")
        .annotate(members=Sum("members"), monetary=Sum("monetary_score_total"))
        .order_by()
    )
    return RfmGrid(
        cells={
            (row["recency_score"], row["frequency_score"]): (
                row["members"],
                mean(row["monetary"], row["members"]),
            )
            for row in rows
        }
    )
