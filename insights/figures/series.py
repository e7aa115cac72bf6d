"""The filter (a period, a store or channel), its buckets, and the daily summaries cumulated
per bucket: what every figure over time starts from."""

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (
    Case,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import formats

from points.models import EntryKind, PointsEntry

from ..models import DailyCount, KpiRefresh
from ..services import (
    points_movements,
)

WEEKS_UP_TO_DAYS = 120  # periods up to this long are shown per week, longer ones per month
ONE_DECIMAL = Decimal("0.1")
CENTS = Decimal("0.01")


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in percent with one decimal (half up); None when `whole` is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def mean(total: int | Decimal | None, count: int) -> Decimal | None:
    if not count or total is None:
        return None
    return (Decimal(total) / Decimal(count)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


@dataclass(frozen=True)
class Bucket:
    start: datetime.date
    end: datetime.date  # inclusive
    label: str


@dataclass(frozen=True)
class KpiFilter:
    """A period of whole local days (`end` inclusive) and, optionally, a home store or channel."""

    start: datetime.date
    end: datetime.date
    store_id: int | None = None
    channel: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")

    @property
    def granularity(self) -> str:
        return "week" if (self.end - self.start).days < WEEKS_UP_TO_DAYS else "month"

    @property
    def day_before(self) -> datetime.date:
        """The figures "at the start" are those at the end of the day before the period."""
        return self.start - datetime.timedelta(days=1)

    def instants(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as [start, end) in aware datetimes (local midnights)."""
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        start = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        return start, end

    def buckets(self) -> list[Bucket]:
        buckets = []
        day = self.start
        while day <= self.end:
            if self.granularity == "week":
                last = day + datetime.timedelta(days=6 - day.weekday())  # to Sunday
            else:
                following = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
                last = following - datetime.timedelta(days=1)
            last = min(last, self.end)
            buckets.append(Bucket(start=day, end=last, label=_bucket_label(day, self.granularity)))
            day = last + datetime.timedelta(days=1)
        return buckets

    def summary_scope(self) -> Q:
        """For the summary tables (their `store` is the members' home store)."""
        if self.store_id:
            return Q(store_id=self.store_id)
        if self.channel:
            return Q(store__channel=self.channel)
        return Q()

    def member_scope(self, prefix: str = "member__") -> Q:
        if self.store_id:
            return Q(**{f"{prefix}enrolled_store_id": self.store_id})
        if self.channel:
            return Q(**{f"{prefix}enrolled_store__channel": self.channel})
        return Q()


def _bucket_label(day: datetime.date, granularity: str) -> str:
    if granularity == "week":
        return formats.date_format(day, "j M")
    return formats.date_format(day, "M Y")


# --- the daily summaries, cumulated per bucket -------------------------------------------------


@dataclass
class DailySeries:
    """Per summary key: its total at the start of the period and its change in each bucket."""

    buckets: list[Bucket]
    opening: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    changes: dict[str, list[int]] = field(default_factory=dict)

    def _changes(self, key: str) -> list[int]:
        return self.changes.setdefault(key, [0] * len(self.buckets))

    def add(self, key: str, index: int, value: int) -> None:
        if index < 0:
            self.opening[key] += value
        else:
            self._changes(key)[index] += value

    def at_start(self, key: str) -> int:
        return self.opening.get(key, 0)

    def in_period(self, key: str) -> int:
        return sum(self._changes(key))

    def at_end(self, key: str) -> int:
        return self.at_start(key) + self.in_period(key)

    def per_bucket(self, key: str) -> list[int]:
        return list(self._changes(key))

    def at_bucket_ends(self, key: str) -> list[int]:
        running, values = self.at_start(key), []
        for change in self._changes(key):
            running += change
            values.append(running)
        return values

    def keys(self, prefix: str) -> set[str]:
        return {key for key in (*self.opening, *self.changes) if key.startswith(prefix)}


def latest_refresh() -> KpiRefresh | None:
    return KpiRefresh.objects.filter(finished_at__isnull=False).order_by("-started_at").first()


def _bucket_index(day: datetime.date, buckets: list[Bucket]) -> int | None:
    """-1 before the period, the bucket's index inside it, None after it."""
    if day < buckets[0].start:
        return -1
    for index, bucket in enumerate(buckets):
        if day <= bucket.end:
            return index
    return None


def daily_series(
    kpi_filter: KpiFilter, *, prefix: str = "", refresh: KpiRefresh | None = None
) -> DailySeries:
    """One aggregate over the daily summaries (keys starting with `prefix`), plus the ledger
    entries written since the last rebuild."""
    buckets = kpi_filter.buckets()
    series = DailySeries(buckets=buckets)
    bucket_case = Case(
        When(day__lt=kpi_filter.start, then=Value(-1)),
        *[
            When(day__range=(bucket.start, bucket.end), then=Value(index))
            for index, bucket in enumerate(buckets)
        ],
        output_field=IntegerField(),
    )
    rows = (
        DailyCount.objects.filter(kpi_filter.summary_scope(), day__lte=kpi_filter.end)
        .filter(key__startswith=prefix)
        .annotate(bucket=bucket_case)
        .values("key", "bucket")
        .annotate(total=Sum("value"))
        .order_by()
    )
    for row in rows:
        series.add(row["key"], row["bucket"], row["total"])
    if "points:".startswith(prefix) or prefix.startswith("points:"):
        _add_recent_points(series, kpi_filter, refresh or latest_refresh())
    return series


def _add_recent_points(series: DailySeries, kpi_filter: KpiFilter, refresh) -> None:
    entries = PointsEntry.objects.filter(kpi_filter.member_scope("account__member__"))
    if refresh is not None:
        # Naming every kind lets PostgreSQL read the (kind, created_at) index.
        entries = entries.filter(kind__in=EntryKind.values, created_at__gt=refresh.started_at)
    for row in points_movements(entries).order_by():
        index = _bucket_index(row["day"], series.buckets)
        if index is not None:
            series.add(f"points:{row['kind']}:{row['sign']}", index, row["total"])
