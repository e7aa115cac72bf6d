"""The KPI summaries: rebuilt set-based from purchases, members, tier changes and the ledger.

Nothing here loops over members or entries: every step is one INSERT … SELECT in the database,
on SQLite and PostgreSQL alike (window functions; only date arithmetic differs per vendor). The
whole rebuild is one transaction, so the dashboard reads either yesterday's summaries or
today's, never half of them. See docs/kpis.md for what each table answers.
"""

import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Member
from campaigns.lifecycle import LOYAL_FROM_PURCHASE, RETURNING_FROM_PURCHASE
from campaigns.models import MemberStats
from core.locks import job_lock
from points.models import LoyaltyProgram, PointAccount, PointsEntry, Purchase, TierChange

from .models import ActivitySpell, DailyCount, KpiRefresh, MemberMilestone, RfmCell


def _zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _sql(queryset) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _days_between(later: str, earlier: str) -> str:
    """SQL for the whole days from `earlier` to `later` (two local dates)."""
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _plus_days(day: str) -> str:
    """SQL for a local date plus a number of days given as the next parameter."""
    if connection.vendor == "postgresql":
        return f"({day} + CAST(%s AS integer))"
    return f"date({day}, '+' || %s || ' days')"


def _execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(0, cursor.rowcount)


def _purchases_by_day():
    return Purchase.objects.annotate(day=TruncDate("occurred_at", tzinfo=_zone())).values(
        "id", "member_id", "occurred_at", "day"
    )


def _members_by_day():
    return Member.objects.annotate(day=TruncDate("enrolled_at", tzinfo=_zone())).values(
        "id", "enrolled_store_id", "referred_by_id", "day"
    )


def _build_milestones() -> int:
    purchases_sql, purchase_params = _sql(_purchases_by_day())
    members_sql, member_params = _sql(_members_by_day())
    sql = f"""
        WITH numbered AS (
            SELECT p.id, p.member_id, p.day,
                   ROW_NUMBER() OVER (PARTITION BY p.member_id ORDER BY p.occurred_at, p.id) AS n
            FROM ({purchases_sql}) p
        ),
        firsts AS (
            SELECT member_id,
                   MIN(CASE WHEN n = 1 THEN day END) AS first_on,
                   MIN(CASE WHEN n = %s THEN day END) AS returning_on,
                   MIN(CASE WHEN n = %s THEN day END) AS loyal_on
            FROM numbered WHERE n <= %s GROUP BY member_id
        ),
        categories AS (
            SELECT numbered.member_id, line.category, MIN(numbered.n) AS first_n,
                   MIN(numbered.day) AS first_day
            FROM numbered JOIN points_purchaseline line ON line.purchase_id = numbered.id
            WHERE line.category <> ''
            GROUP BY numbered.member_id, line.category
        ),
        upsells AS (
            SELECT member_id, MIN(first_day) AS upsell_on FROM categories
            WHERE first_n > 1 GROUP BY member_id
        ),
        enrolments AS ({members_sql}),
        referrals AS (
            SELECT referred_by_id AS member_id, MIN(day) AS ambassador_on FROM enrolments
            WHERE referred_by_id IS NOT NULL GROUP BY referred_by_id
        )
        INSERT INTO {MemberMilestone._meta.db_table}
            (member_id, store_id, enrolled_on, first_purchase_on, returning_on, loyal_on,
             ambassador_on, upsell_on)
        SELECT m.id, m.enrolled_store_id, m.day, f.first_on, f.returning_on, f.loyal_on,
               r.ambassador_on, u.upsell_on
        FROM enrolments m
        LEFT JOIN firsts f ON f.member_id = m.id
        LEFT JOIN upsells u ON u.member_id = m.id
        LEFT JOIN referrals r ON r.member_id = m.id
    """
    params = (
        *purchase_params,
        RETURNING_FROM_PURCHASE,
        LOYAL_FROM_PURCHASE,
        LOYAL_FROM_PURCHASE,
        *member_params,
    )
    return _execute(sql, params)


def _build_spells(dormant_after_days: int) -> int:
    """The spells of activity and the day each ends in dormancy, as `campaigns.lifecycle`
    defines them (`continues_spell`, `dormant_on`), in SQL."""
    purchases_sql, purchase_params = _sql(_purchases_by_day())
    sql = f"""
        WITH days AS (
            SELECT member_id, day, COUNT(*) AS purchases FROM ({purchases_sql}) p
            GROUP BY member_id, day
        ),
        gaps AS (
            SELECT member_id, day, purchases,
                   LAG(day) OVER (PARTITION BY member_id ORDER BY day) AS previous_day
            FROM days
        ),
        flagged AS (
            SELECT member_id, day, purchases,
                   SUM(CASE WHEN previous_day IS NULL
                            OR {_days_between("day", "previous_day")} > %s THEN 1 ELSE 0 END)
                       OVER (PARTITION BY member_id ORDER BY day ROWS UNBOUNDED PRECEDING) AS spell
            FROM gaps
        )
        INSERT INTO {ActivitySpell._meta.db_table}
            (member_id, store_id, started_on, last_purchase_on, dormant_on, purchases)
        SELECT flagged.member_id, member.enrolled_store_id, MIN(flagged.day), MAX(flagged.day),
               {_plus_days("MAX(flagged.day)")}, SUM(flagged.purchases)
        FROM flagged JOIN {Member._meta.db_table} member ON member.id = flagged.member_id
        GROUP BY flagged.member_id, member.enrolled_store_id, flagged.spell
    """
    return _execute(sql, (*purchase_params, dormant_after_days, dormant_after_days))


_COUNTS = DailyCount._meta.db_table


def _count_events(key: str, sign: int, day_column: str, table: str, condition: str = "1 = 1"):
    """One INSERT … SELECT: `sign` × the rows of `table` per (day, store) where `condition`."""
    _execute(
        f"INSERT INTO {_COUNTS} (day, store_id, key, value) "
        f"SELECT {day_column}, store_id, %s, %s * COUNT(*) FROM {table} "
        f"WHERE {day_column} IS NOT NULL AND {condition} GROUP BY {day_column}, store_id",
        (key, sign),
    )


def _build_member_counts() -> None:
    milestones = MemberMilestone._meta.db_table
    for key, column in [
        ("members", "enrolled_on"),
        ("bought", "first_purchase_on"),
        ("repeat", "returning_on"),
        ("upsell", "upsell_on"),
    ]:
        _count_events(key, 1, column, milestones)
    # Ladder stages as deltas: entering a rung leaves the one below. A rung reached on or after
    # the day the member became an ambassador changes nothing (ambassador is the top).
    returning = (
        "returning_on IS NOT NULL AND (ambassador_on IS NULL OR returning_on < ambassador_on)"
    )
    loyal = "loyal_on IS NOT NULL AND (ambassador_on IS NULL OR loyal_on < ambassador_on)"
    returning_only = f"({returning}) AND NOT ({loyal})"
    _count_events("stage:new", 1, "enrolled_on", milestones)
    _count_events("stage:new", -1, "returning_on", milestones, returning)
    _count_events("stage:returning", 1, "returning_on", milestones, returning)
    _count_events("stage:returning", -1, "loyal_on", milestones, loyal)
    _count_events("stage:loyal", 1, "loyal_on", milestones, loyal)
    _count_events("stage:ambassador", 1, "ambassador_on", milestones)
    _count_events("stage:loyal", -1, "ambassador_on", milestones, loyal)
    _count_events("stage:returning", -1, "ambassador_on", milestones, returning_only)
    _count_events("stage:new", -1, "ambassador_on", milestones, f"NOT ({returning})")
    spells = ActivitySpell._meta.db_table
    _count_events("active", 1, "started_on", spells)
    _count_events("active", -1, "dormant_on", spells)


def _build_tier_counts() -> None:
    zone = _zone()
    changes = TierChange.objects.annotate(
        day=TruncDate("created_at", tzinfo=zone), store=F("account__member__enrolled_store_id")
    )
    for column, sign in (("to_tier_id", 1), ("from_tier_id", -1)):
        grouped = (
            changes.filter(**{f"{column}__isnull": False})
            .values("day", "store", column)
            .annotate(members=Count("id"))
        )
        sql, params = _sql(grouped)
        _execute(
            f"INSERT INTO {_COUNTS} (day, store_id, key, value) "
            f"SELECT q.day, q.store, 'tier:' || q.{column}, %s * q.members FROM ({sql}) q",
            (sign, *params),
        )
    # Accounts that got their tier without a recorded change (imported, or from before tier
    # changes were recorded) count in it from their enrolment.
    unrecorded = (
        PointAccount.objects.filter(tier__isnull=False)
        .exclude(Exists(TierChange.objects.filter(account=OuterRef("pk"))))
        .annotate(
            day=TruncDate("member__enrolled_at", tzinfo=zone), store=F("member__enrolled_store_id")
        )
        .values("day", "store", "tier_id")
        .annotate(members=Count("id"))
    )
    sql, params = _sql(unrecorded)
    _execute(
        f"INSERT INTO {_COUNTS} (day, store_id, key, value) "
        f"SELECT q.day, q.store, 'tier:' || q.tier_id, q.members FROM ({sql}) q",
        params,
    )


def points_movements(entries):
    """Ledger entries summed per local day of `effective_at`, home store, kind and sign."""
    return (
        entries.annotate(
            day=TruncDate("effective_at", tzinfo=_zone()),
            store=F("account__member__enrolled_store_id"),
            sign=Case(When(points__gt=0, then=Value("+")), default=Value("-")),
        )
        .values("day", "store", "kind", "sign")
        .annotate(total=Sum("points"))
    )


def _build_points_counts(until) -> None:
    sql, params = _sql(points_movements(PointsEntry.objects.filter(created_at__lte=until)))
    _execute(
        f"INSERT INTO {_COUNTS} (day, store_id, key, value) "
        f"SELECT q.day, q.store, 'points:' || q.kind || ':' || q.sign, q.total FROM ({sql}) q",
        params,
    )


def _build_rfm() -> int:
    cells = (
        MemberStats.objects.filter(recency_score__isnull=False, frequency_score__isnull=False)
        .values("member__enrolled_store_id", "recency_score", "frequency_score")
        .annotate(members=Count("pk"), monetary=Sum("monetary_score"))
    )
    sql, params = _sql(cells)
    return _execute(
        f"INSERT INTO {RfmCell._meta.db_table} "
        "(store_id, recency_score, frequency_score, members, monetary_score_total) "
        f"SELECT * FROM ({sql}) q",
        params,
    )


def kpi_summaries_refresh(*, progress: Callable[[str], None] | None = None) -> KpiRefresh | None:
    """Rebuilds every KPI summary in one transaction; returns the refresh, or None when another
    run holds the lock. Points entries written after `started_at` are added live by the
    dashboard, so the ledger figures are always current; member figures are as of the rebuild."""
    say = progress or (lambda message: None)
    with job_lock("kpi_summaries_refresh") as acquired:
        if not acquired:
            say("another refresh is running; skipped")
            return None
        began = time.monotonic()
        dormant_after_days = LoyaltyProgram.current().dormant_after_days
        with transaction.atomic(durable=True):
            refresh = KpiRefresh.objects.create(dormant_after_days=dormant_after_days)
            for model in (DailyCount, ActivitySpell, MemberMilestone, RfmCell):
                model.objects.all().delete()
            steps = [
                ("ladder milestones", _build_milestones),
                ("activity spells", lambda: _build_spells(dormant_after_days)),
                ("member counts", _build_member_counts),
                ("tier counts", _build_tier_counts),
                ("points per day", lambda: _build_points_counts(refresh.started_at)),
                ("RFM grid", _build_rfm),
            ]
            for label, step in steps:
                step_began = time.monotonic()
                step()
                say(f"{label}: {time.monotonic() - step_began:.1f} s")
            refresh.members = MemberMilestone.objects.count()
            refresh.finished_at = timezone.now()
            refresh.seconds = round(time.monotonic() - began, 3)
            refresh.save(update_fields=["members", "finished_at", "seconds"])
        return refresh
