"""Point expiry: credits expire N months after they were earned, oldest points spent first."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from core import webhooks
from core.bulk import update_from_values
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


def _expire(now, batch_size, progress) -> ExpiryRun:
    watermark = JobWatermark.objects.filter(name=WATERMARK).first()
    since = watermark.reached_at if watermark else None
    run = ExpiryRun()
    for account_ids in _candidate_batches(now=now, since=since, size=batch_size):
        with transaction.atomic(durable=True):
            accounts = list(
                PointAccount.objects.filter(pk__in=account_ids, balance__gt=0)
                .only("id", "balance", "member_id")
                .order_by("pk")
                .select_for_update(no_key=True)
            )
            # A range, not IN (5000 ids): PostgreSQL misjudges long IN lists and scans the table.
            still_valid = dict(
                PointsEntry.objects.filter(
                    account_id__gte=account_ids[0], account_id__lte=account_ids[-1], points__gt=0
                )
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
                .values("account_id")
                .annotate(total=Sum("points"))
                .values_list("account_id", "total")
            )
            expiring = [
                (account, account.balance - still_valid.get(account.pk, 0)) for account in accounts
            ]
            expiring = [(account, points) for account, points in expiring if points > 0]
            stamp = connection.ops.adapt_datetimefield_value(timezone.now())
            # One INSERT of the entries and one UPDATE of the balances for the whole batch.
            PointsEntry.objects.bulk_create(
                [
                    PointsEntry(
                        account=account,
                        kind=EntryKind.EXPIRY,
                        points=-points,
                        balance_after=account.balance - points,
                        effective_at=now,
                        created_at=timezone.now(),
                    )
                    for account, points in expiring
                ],
                batch_size=1000,
            )
            update_from_values(
                PointAccount._meta.db_table,
                key="id",
                assignments="balance = balance - batch.expired, updated_at = batch.stamp",
                columns=("expired", "stamp"),
                rows=[(account.pk, points, stamp) for account, points in expiring],
            )
            webhooks.emit_many(
                "points.expired",
                [
                    (account.member_id, {"points": points, "balance": account.balance - points})
                    for account, points in expiring
                ],
            )
            run.accounts += len(expiring)
            run.points += sum(points for _account, points in expiring)
        if progress:
            progress(run)
    with transaction.atomic(durable=True):
        JobWatermark.objects.update_or_create(name=WATERMARK, defaults={"reached_at": now})
    return run
