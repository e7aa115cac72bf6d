"""Reading the loyalty score: the norms in force, a member's score and its breakdown.

The score (seed 000) sums what a member did across channels, each activity valued by a preset
norm (`ScoreNorm`), over the programme's score window (`LoyaltyProgram.score_window_days`; 0 =
for ever), so it fades when a member stops. It is not money: it is never spent, and redeeming
points never changes it (only `points.services.score` writes its ledger, `ScoreEntry`).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language

from core.bulk import in_window
from core.config_cache import cached_config, forget_config

from .models import LoyaltyProgram, ScoreEntry, ScoreNorm, ScoreSource

SCORE_NORMS_CACHE_KEY = "points:score-norms"


def score_norms_active() -> list[ScoreNorm]:
    """The active norms, cached: read on every purchase and activity, edited rarely."""
    return cached_config(
        SCORE_NORMS_CACHE_KEY,
        lambda: list(
            ScoreNorm.objects.filter(is_active=True).select_related("activity_type").order_by("pk")
        ),
    )


def score_norms_cache_clear() -> None:
    forget_config(SCORE_NORMS_CACHE_KEY)


def score_norm_for(source: str, *, activity_type_id: int | None = None) -> ScoreNorm | None:
    for norm in score_norms_active():
        if norm.source == source and norm.activity_type_id == activity_type_id:
            return norm
    return None


def score_window_start(now: datetime.datetime | None = None) -> datetime.datetime | None:
    days = LoyaltyProgram.current().score_window_days
    if not days:
        return None
    return (now or timezone.now()) - datetime.timedelta(days=days)


def score_entries_counting(now: datetime.datetime | None = None):
    """The entries that count now: inside the score window, not in the future."""
    now = now or timezone.now()
    entries = ScoreEntry.objects.filter(occurred_at__lte=now)
    start = score_window_start(now)
    return entries.filter(occurred_at__gt=start) if start else entries


def score_of(member_id: int, *, now: datetime.datetime | None = None) -> int:
    total = (score_entries_counting(now).filter(member_id=member_id).aggregate(total=Sum("score")))[
        "total"
    ]
    return total or 0


def score_sql(member_column: str, now: datetime.datetime) -> tuple[str, list]:
    """`score_of` as one SQL subquery over the member in `member_column`, for a hand-written
    query on a hot path (the member summary); its tests compare the two."""
    window, params = in_window("s.occurred_at", now=now, start=score_window_start(now))
    sql = (
        f"SELECT SUM(s.score) FROM {ScoreEntry._meta.db_table} s "
        f"WHERE s.member_id = {member_column} AND {window}"
    )
    return sql, params


def score_subquery(now: datetime.datetime | None = None) -> Coalesce:
    """Each member's score as an expression for member querysets (segments)."""
    per_member = (
        score_entries_counting(now)
        .filter(member_id=OuterRef("pk"))
        .order_by()
        .values("member_id")
        .annotate(total=Sum("score"))
        .values("total")
    )
    return Coalesce(Subquery(per_member), 0)


@dataclass(frozen=True)
class ScoreLine:
    """One kind of activity's part of a member's score."""

    source: str
    label: str
    score: int
    count: int
    share: int = 0  # of the total, in whole percent (the chart's bar)


@dataclass(frozen=True)
class ScoreBreakdown:
    total: int
    lines: tuple[ScoreLine, ...]
    window_days: int


def score_breakdown_for(*, member_id: int, now: datetime.datetime | None = None) -> ScoreBreakdown:
    """The member's score by kind of activity (an activity type each), largest first."""
    rows = (
        score_entries_counting(now)
        .filter(member_id=member_id)
        .values("source", "activity_type__code", "activity_type__name_nl", "activity_type__name_en")
        .annotate(score=Sum("score"), count=Count("pk"))
        .order_by("-score")
    )
    labels = dict(ScoreSource.choices)
    lines = []
    for row in rows:
        label = str(labels.get(row["source"], row["source"]))
        if row["activity_type__code"]:
            english = (get_language() or "nl")[:2] == "en"
            label = (english and row["activity_type__name_en"]) or row["activity_type__name_nl"]
        lines.append((row["source"], label, row["score"], row["count"]))
    total = sum(line[2] for line in lines)
    return ScoreBreakdown(
        total=total,
        lines=tuple(
            ScoreLine(
                source=source,
                label=label,
                score=score,
                count=count,
                share=round(100 * score / total) if total else 0,
            )
            for source, label, score, count in lines
        ),
        window_days=LoyaltyProgram.current().score_window_days,
    )


@dataclass(frozen=True)
class ScoreWay:
    """One norm as a member reads it: what they do and what it adds to their score."""

    source: str
    label: str
    value: Decimal  # score per activity, or per euro for the amount norm


def score_ways() -> list[ScoreWay]:
    """What earns score now, largest value first (the portal's "what earns score")."""
    labels = dict(ScoreSource.choices)
    ways = []
    for norm in score_norms_active():
        if norm.value <= 0:
            continue
        label = norm.activity_type.translated("name") if norm.activity_type else ""
        ways.append(
            ScoreWay(source=norm.source, label=label or str(labels[norm.source]), value=norm.value)
        )
    return sorted(ways, key=lambda way: -way.value)
