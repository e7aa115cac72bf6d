"""The KPI figures: plain, typed functions of a period and a store/channel filter.

Every figure is aggregated in the database. Member figures come from the summaries that
`services.kpi_summaries_refresh()` rebuilds nightly (so they are as of that rebuild); points
figures add the ledger entries written since the rebuild; survey and reactivation figures are
read live (small, indexed tables). Definitions: docs/kpis.md and the README.

A store or channel filter means the members who enrolled at that store (or a store of that
channel): their points, tiers, purchases, answers and offers, wherever they happened.
"""

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import formats
from django.utils.translation import gettext as _

from campaigns.models import Delivery, SurveyResponse, Trigger
from points.models import EntryKind, LoyaltyProgram, PointsEntry, Purchase, Tier
from rewards.models import IssuedReward

from .models import ActivitySpell, DailyCount, KpiRefresh, MemberMilestone, RfmCell
from .services import (
    LOYAL_FROM_PURCHASE,
    RETURNING_FROM_PURCHASE,
    STAGES,
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


# --- the filter and its buckets ----------------------------------------------------------------


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


# --- points -----------------------------------------------------------------------------------

ISSUED = ("points:earn:+", "points:activity:+", "points:bonus:+", "points:adjustment:+")
REDEEMED = ("points:redemption:-", "points:redemption_reversal:+")
EXPIRED = ("points:expiry:-",)


@dataclass(frozen=True)
class PointsBucket:
    bucket: Bucket
    issued: int
    redeemed: int
    expired: int
    taken_back: int  # refunds and negative staff corrections
    outstanding: int  # at the end of the bucket
    liability: Decimal


@dataclass(frozen=True)
class PointsFlow:
    point_value: Decimal
    outstanding_at_start: int
    rows: list[PointsBucket]

    @property
    def issued(self) -> int:
        return sum(row.issued for row in self.rows)

    @property
    def redeemed(self) -> int:
        return sum(row.redeemed for row in self.rows)

    @property
    def expired(self) -> int:
        return sum(row.expired for row in self.rows)

    @property
    def taken_back(self) -> int:
        return sum(row.taken_back for row in self.rows)

    @property
    def outstanding(self) -> int:
        return self.rows[-1].outstanding if self.rows else self.outstanding_at_start

    @property
    def liability(self) -> Decimal:
        return money(self.outstanding * self.point_value)


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENTS, ROUND_HALF_UP)


def points_flow(kpi_filter: KpiFilter, *, series: DailySeries | None = None) -> PointsFlow:
    """Points issued, redeemed (net of undone redemptions), expired and taken back per bucket,
    and the outstanding points and their value (the liability) at each bucket end."""
    series = series or daily_series(kpi_filter, prefix="points:")
    point_value = LoyaltyProgram.current().point_value
    keys = sorted(series.keys("points:"))
    outstanding = sum(series.at_start(key) for key in keys)
    opening, rows = outstanding, []
    for index, bucket in enumerate(series.buckets):
        change = {key: series.per_bucket(key)[index] for key in keys}
        issued = sum(change.get(key, 0) for key in ISSUED)
        redeemed = -sum(change.get(key, 0) for key in REDEEMED)
        expired = -sum(change.get(key, 0) for key in EXPIRED)
        net = sum(change.values())
        outstanding += net
        rows.append(
            PointsBucket(
                bucket=bucket,
                issued=issued,
                redeemed=redeemed,
                expired=expired,
                taken_back=issued - redeemed - expired - net,
                outstanding=outstanding,
                liability=money(outstanding * point_value),
            )
        )
    return PointsFlow(point_value=point_value, outstanding_at_start=opening, rows=rows)


# --- members: tiers, activity, churn, repeat purchases, upsell -------------------------------


@dataclass(frozen=True)
class TierCounts:
    tiers: list[Tier]
    at_start: dict[int, int]
    rows: list[tuple[Bucket, dict[int, int]]]  # members per tier id at each bucket end


def members_by_tier(kpi_filter: KpiFilter, *, series: DailySeries | None = None) -> TierCounts:
    series = series or daily_series(kpi_filter, prefix="tier:")
    tiers = list(Tier.objects.order_by("rank"))
    at_ends = {tier.pk: series.at_bucket_ends(f"tier:{tier.pk}") for tier in tiers}
    return TierCounts(
        tiers=tiers,
        at_start={tier.pk: series.at_start(f"tier:{tier.pk}") for tier in tiers},
        rows=[
            (bucket, {tier.pk: at_ends[tier.pk][index] for tier in tiers})
            for index, bucket in enumerate(series.buckets)
        ],
    )


@dataclass(frozen=True)
class ActivityCounts:
    members: int
    active: int  # bought within the dormant threshold
    dormant: int  # bought before, not within the threshold
    never_bought: int


@dataclass(frozen=True)
class Activity:
    dormant_after_days: int
    at_start: ActivityCounts
    rows: list[tuple[Bucket, ActivityCounts]]

    @property
    def at_end(self) -> ActivityCounts:
        return self.rows[-1][1]


def _activity_counts(members: int, bought: int, active: int) -> ActivityCounts:
    return ActivityCounts(
        members=members, active=active, dormant=bought - active, never_bought=members - bought
    )


def activity(kpi_filter: KpiFilter, *, series: DailySeries | None = None) -> Activity:
    """Active and dormant members at the start and at each bucket end."""
    series = series or daily_series(kpi_filter, prefix="")
    members, bought, active = (
        series.at_bucket_ends("members"),
        series.at_bucket_ends("bought"),
        series.at_bucket_ends("active"),
    )
    refresh = latest_refresh()
    return Activity(
        dormant_after_days=(
            refresh.dormant_after_days if refresh else LoyaltyProgram.current().dormant_after_days
        ),
        at_start=_activity_counts(
            series.at_start("members"), series.at_start("bought"), series.at_start("active")
        ),
        rows=[
            (bucket, _activity_counts(members[index], bought[index], active[index]))
            for index, bucket in enumerate(series.buckets)
        ],
    )


@dataclass(frozen=True)
class Churn:
    members_at_start: int  # active at the end of the day before the period
    lost: int  # of those, crossed the dormant threshold during the period
    rate: Decimal | None


def churn(
    kpi_filter: KpiFilter,
    *,
    series: DailySeries | None = None,
    today: datetime.date | None = None,
) -> Churn:
    """Members lost in the period ÷ members at its start × 100, where "lost" means an active
    member crossed the dormant threshold (no purchase for N days) during the period."""
    series = series or daily_series(kpi_filter, prefix="active")
    today = today or _today()
    last_day = min(kpi_filter.end, today)
    lost = ActivitySpell.objects.filter(
        kpi_filter.summary_scope(),
        started_on__lte=kpi_filter.day_before,
        dormant_on__gte=kpi_filter.start,
        dormant_on__lte=last_day,
    ).count()
    at_start = series.at_start("active")
    return Churn(members_at_start=at_start, lost=lost, rate=percent(lost, at_start))


def _today() -> datetime.date:
    return datetime.datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()


@dataclass(frozen=True)
class RepeatFigures:
    buyers: int  # members who ever bought, up to the moment
    repeat_buyers: int  # of those, with 2 or more purchases
    upsell_buyers: int  # of the repeat buyers, who bought a category new to them
    repeat_rate: Decimal | None
    upsell_rate: Decimal | None


def _repeat(buyers: int, repeat_buyers: int, upsell_buyers: int) -> RepeatFigures:
    return RepeatFigures(
        buyers=buyers,
        repeat_buyers=repeat_buyers,
        upsell_buyers=upsell_buyers,
        repeat_rate=percent(repeat_buyers, buyers),
        upsell_rate=percent(upsell_buyers, repeat_buyers),
    )


@dataclass(frozen=True)
class Repeat:
    at_start: RepeatFigures
    rows: list[tuple[Bucket, RepeatFigures]]
    new_repeat_buyers: int  # made their 2nd purchase in the period
    new_upsell_buyers: int  # bought a category new to them in the period

    @property
    def at_end(self) -> RepeatFigures:
        return self.rows[-1][1]


def repeat_purchases(kpi_filter: KpiFilter, *, series: DailySeries | None = None) -> Repeat:
    """Repeat-purchase rate (members with 2+ purchases ÷ members with 1+) and upsell rate
    (repeat buyers who, after their first purchase, bought a category they had never bought ÷
    repeat buyers), counting every purchase up to the moment."""
    series = series or daily_series(kpi_filter, prefix="")
    ends = [series.at_bucket_ends(key) for key in ("bought", "repeat", "upsell")]
    return Repeat(
        at_start=_repeat(*(series.at_start(key) for key in ("bought", "repeat", "upsell"))),
        rows=[
            (bucket, _repeat(ends[0][index], ends[1][index], ends[2][index]))
            for index, bucket in enumerate(series.buckets)
        ],
        new_repeat_buyers=series.in_period("repeat"),
        new_upsell_buyers=series.in_period("upsell"),
    )


# --- the loyalty ladder -----------------------------------------------------------------------


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


# --- RFM --------------------------------------------------------------------------------------


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


# --- surveys: NPS and the customer loyalty index -----------------------------------------------


@dataclass(frozen=True)
class Nps:
    responses: int
    promoters: int  # 9–10
    passives: int  # 7–8
    detractors: int  # 0–6
    score: Decimal | None  # % promoters − % detractors


@dataclass(frozen=True)
class LoyaltyIndex:
    responses: int
    recommend: Decimal | None  # mean score of each question
    repurchase: Decimal | None
    try_new: Decimal | None
    index: Decimal | None  # mean of the three means


def _answers(kpi_filter: KpiFilter):
    start, end = kpi_filter.instants()
    return SurveyResponse.objects.filter(
        kpi_filter.member_scope(), created_at__gte=start, created_at__lt=end
    )


def nps(kpi_filter: KpiFilter) -> Nps:
    """Net Promoter Score of the answers given in the period: % promoters (9–10) minus %
    detractors (0–6), from −100 to 100."""
    counts = _answers(kpi_filter).aggregate(
        responses=Count("pk"),
        promoters=Count("pk", filter=Q(recommend_score__gte=9)),
        detractors=Count("pk", filter=Q(recommend_score__lte=6)),
    )
    responses, promoters, detractors = (
        counts["responses"],
        counts["promoters"],
        counts["detractors"],
    )
    score = None
    if responses:
        score = (Decimal(promoters - detractors) * 100 / Decimal(responses)).quantize(
            ONE_DECIMAL, ROUND_HALF_UP
        )
    return Nps(
        responses=responses,
        promoters=promoters,
        passives=responses - promoters - detractors,
        detractors=detractors,
        score=score,
    )


def loyalty_index(kpi_filter: KpiFilter) -> LoyaltyIndex:
    """Customer loyalty index (seeds 001, 004): the mean of the mean scores for "would you
    recommend us", "would you buy again" and "would you try our other products"."""
    row = _answers(kpi_filter).aggregate(
        responses=Count("pk"),
        recommend_total=Sum("recommend_score"),
        recommend_count=Count("recommend_score"),
        repurchase_total=Sum("repurchase_score"),
        repurchase_count=Count("repurchase_score"),
        try_new_total=Sum("try_new_score"),
        try_new_count=Count("try_new_score"),
    )
    means = [
        mean(row[f"{question}_total"], row[f"{question}_count"])
        for question in ("recommend", "repurchase", "try_new")
    ]
    given = [value for value in means if value is not None]
    index = (sum(given) / len(given)).quantize(ONE_DECIMAL, ROUND_HALF_UP) if given else None
    return LoyaltyIndex(row["responses"], *means, index=index)


# --- reactivation offers ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReactivationRow:
    automation_id: int | None
    name: str
    sent: int  # messages sent
    offered: int  # members who got the offer (sent or not)
    codes_used: int
    came_back: int  # members who bought within the offer's validity
    revenue: Decimal  # what they paid (after discounts and refunds) until the offer expired


@dataclass(frozen=True)
class Reactivation:
    rows: list[ReactivationRow]

    @property
    def total(self) -> ReactivationRow:
        return ReactivationRow(
            automation_id=None,
            name=_("All reactivation offers"),
            sent=sum(row.sent for row in self.rows),
            offered=sum(row.offered for row in self.rows),
            codes_used=sum(row.codes_used for row in self.rows),
            came_back=sum(row.came_back for row in self.rows),
            revenue=money(sum((row.revenue for row in self.rows), Decimal("0"))),
        )


# What the customer paid for a purchase, net of discounts and refunds.
PAID = ExpressionWrapper(
    F("amount") - F("discount_total") - F("refunded_amount"),
    output_field=DecimalField(max_digits=12, decimal_places=2),
)


def reactivation(kpi_filter: KpiFilter) -> Reactivation:
    """Per reactivation (dormant) automation, for the offers made in the period."""
    start, end = kpi_filter.instants()
    deliveries = Delivery.objects.filter(
        kpi_filter.member_scope(),
        automation__trigger=Trigger.DORMANT,
        created_at__gte=start,
        created_at__lt=end,
    )
    # Only a member who came back (the delivery converted) paid anything within the offer, so
    # the purchases are looked up for those deliveries alone.
    revenue_after_offer = (
        Purchase.objects.filter(
            member_id=OuterRef("member_id"),
            occurred_at__gte=OuterRef("converted_at"),
            occurred_at__lte=OuterRef("offer_expires_at"),
        )
        .values("member_id")
        .annotate(total=Sum(PAID))
        .values("total")
    )
    rows = (
        deliveries.annotate(
            revenue=Case(
                When(converted_at__isnull=False, then=Subquery(revenue_after_offer)),
                default=Value(Decimal("0")),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
        .values("automation_id", "automation__name")
        .annotate(
            sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
            offered=Count("pk"),
            codes_used=Count("pk", filter=Q(issued_reward__status=IssuedReward.Status.USED)),
            came_back=Count("member_id", filter=Q(converted_at__isnull=False), distinct=True),
            revenue_total=Sum("revenue"),
        )
        .order_by("automation__name")
    )
    return Reactivation(
        rows=[
            ReactivationRow(
                automation_id=row["automation_id"],
                name=row["automation__name"],
                sent=row["sent"],
                offered=row["offered"],
                codes_used=row["codes_used"],
                came_back=row["came_back"],
                revenue=money(row["revenue_total"] or Decimal("0")),
            )
            for row in rows
        ]
    )


# --- everything at once ------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    kpi_filter: KpiFilter
    refresh: KpiRefresh | None
    points: PointsFlow
    tiers: TierCounts
    activity: Activity
    churn: Churn
    repeat: Repeat
    ladder: Ladder
    rfm: RfmGrid
    nps: Nps
    loyalty_index: LoyaltyIndex
    reactivation: Reactivation


def dashboard(kpi_filter: KpiFilter) -> Dashboard:
    """All figures of the dashboard; the daily summaries are read once for all of them."""
    refresh = latest_refresh()
    series = daily_series(kpi_filter, refresh=refresh)
    return Dashboard(
        kpi_filter=kpi_filter,
        refresh=refresh,
        points=points_flow(kpi_filter, series=series),
        tiers=members_by_tier(kpi_filter, series=series),
        activity=activity(kpi_filter, series=series),
        churn=churn(kpi_filter, series=series),
        repeat=repeat_purchases(kpi_filter, series=series),
        ladder=ladder(kpi_filter, series=series),
        rfm=rfm_grid(kpi_filter),
        nps=nps(kpi_filter),
        loyalty_index=loyalty_index(kpi_filter),
        reactivation=reactivation(kpi_filter),
    )


def member_ladder_stage(*, purchases: int, has_referred: bool) -> str:
    """One member's rung on the ladder now (the same rules as the summaries)."""
    if has_referred:
        return "ambassador"
    if purchases >= LOYAL_FROM_PURCHASE:
        return "loyal"
    if purchases >= RETURNING_FROM_PURCHASE:
        return "returning"
    return "new"
