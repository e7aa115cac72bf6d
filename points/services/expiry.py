"""Point expiry: credits expire N months after they were earned, oldest points spent first."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from core import webhooks
from core.bulk import id_in, update_from_values
from core.locks import job_lock

from ..models import EntryKind, JobWatermark, PointAccount, PointsEntry

WATERMARK = "points_expiry"


@dataclass
class ExpiryRun:
    accounts: int = 0
    points: int = 0
    skipped: bool = False  # another run held the lock


def _candidate_batches(*, now: datetime.datetime, since: datetime.datetime | None, size: int):
    """Account ids, in batches, with a credit that expired since the last run (or ever)."""
    credits = PointsEntry.objects.filter(expires_at__isnull=False, expires_at__lte=now)
    if since is not None:
        # A credit written late (an offline till) can already be past its date: include it.
        credits = credits.filter(Q(expires_at__gt=since) | Q(created_at__gt=since))
    last_id = 0
    while True:
        batch = list(
            credits.filter(account_id__gt=last_id)
            .order_by("account_id")
            .values_list("account_id", flat=True)
            .distinct()[:size]
        )
        if not batch:
            return
        yield batch
        last_id = batch[-1]


def points_expire_due(
    *,
    now: datetime.datetime | None = None,
    batch_size: int = 1000,
    progress: Callable[[ExpiryRun], None] | None = None,
) -> ExpiryRun:
    """Writes one EXPIRY entry per account whose expired credits were not spent.

    What has expired = the balance minus the credits still valid (spending used the oldest
    first). Safe to repeat: a second run finds nothing left to expire, and a run that overlaps
    another skips (job lock). Each batch is its own transaction and locks its accounts in pk
    order.
    """
    now = now or timezone.now()
    with job_lock(WATERMARK) as acquired:
        if not acquired:
            return ExpiryRun(skipped=True)
        return _expire(now, batch_size, progress)


def still_valid_credits(now: datetime.datetime):
    """The credits that have not expired at `now`: what is left of a balance beyond them has."""
    return PointsEntry.objects.filter(points__gt=0).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def _write_expiries(
    account_ids: list[int], *, now: datetime.datetime
) -> list[tuple[int, int, int]]:
    """One EXPIRY entry per locked account whose balance exceeds its still-valid credits, and the
    balances moved: one INSERT … SELECT and one UPDATE … FROM for the whole batch, no rows
    through Python but the (account, points, new balance) the INSERT returns."""
    if not account_ids:
        return []
    valid_sql, valid_params = (
        # A range, not IN (5000 ids): PostgreSQL misjudges long IN lists on the ledger.
        still_valid_credits(now)
        .filter(account_id__gte=account_ids[0], account_id__lte=account_ids[-1])
        .values("account_id")
        .annotate(total=Sum("points"))
        .values_list("account_id", "total")
        .order_by()
        .query.sql_with_params()
    )
    accounts = PointAccount._meta.db_table
    chosen, chosen_params = id_in("a.id", account_ids)
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        f"INSERT INTO {PointsEntry._meta.db_table} (account_id, kind, points, pending_points, "
        "balance_after, is_qualifying, effective_at, reason, note, created_at) "
        "SELECT a.id, %s, COALESCE(v.total, 0) - a.balance, 0, COALESCE(v.total, 0), %s, %s, "
        "'', '', %s "
        f"FROM {accounts} a LEFT JOIN ({valid_sql}) v ON v.account_id = a.id "
        f"WHERE {chosen} AND a.balance > COALESCE(v.total, 0) "
        "RETURNING account_id, points, balance_after"
    )
    params: list = [EntryKind.EXPIRY, False, connection.ops.adapt_datetimefield_value(now), stamp]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *valid_params, *chosen_params])
        written = [
            (account_id, -points, balance) for account_id, points, balance in cursor.fetchall()
        ]
    update_from_values(
        accounts,
        key="id",
        assignments="balance = balance - batch.expired, updated_at = batch.stamp",
        columns=("expired", "stamp"),
        rows=[(account_id, points, stamp) for account_id, points, _balance in written],
    )
    return written


def _lock_with_balance(account_ids: list[int]) -> dict[int, int]:
    """Locks the batch's accounts that hold points, in pk order; {account id: member id}.
    Raw SQL for one array parameter instead of 5000 placeholders (see core.bulk.id_in)."""
    chosen, params = id_in("id", account_ids)
    lock = " FOR NO KEY UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, member_id FROM {PointAccount._meta.db_table} "
            f"WHERE {chosen} AND balance > 0 ORDER BY id{lock}",
            params,
        )
        return dict(cursor.fetchall())


def _expire(now, batch_size, progress) -> ExpiryRun:
    watermark = JobWatermark.objects.filter(name=WATERMARK).first()
    since = watermark.reached_at if watermark else None
    run = ExpiryRun()
    for account_ids in _candidate_batches(now=now, since=since, size=batch_size):
        with transaction.atomic(durable=True):
            members = _lock_with_balance(account_ids)
            expired = _write_expiries(list(members), now=now)
            webhooks.emit_many(
                "points.expired",
                [
                    (members[account_id], {"points": points, "balance": balance})
                    for account_id, points, balance in expired
                ],
            )
            run.accounts += len(expired)
            run.points += sum(points for _account, points, _balance in expired)
        if progress:
            progress(run)
    with transaction.atomic(durable=True):
        JobWatermark.objects.update_or_create(name=WATERMARK, defaults={"reached_at": now})
    return run
