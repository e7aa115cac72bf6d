"""Point expiry: credits expire N months after they were earned, oldest points spent first."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.locks import job_lock

from ..models import EntryKind, JobWatermark, PointAccount, PointsEntry
from .ledger import ledger_append

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
        with transaction.atomic():
            accounts = list(
                PointAccount.objects.filter(pk__in=account_ids, balance__gt=0)
                .order_by("pk")
                .select_for_update(no_key=True)
            )
            still_valid = dict(
                PointsEntry.objects.filter(account__in=accounts, points__gt=0)
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
                .values("account_id")
                .annotate(total=Sum("points"))
                .values_list("account_id", "total")
            )
            for account in accounts:
                expired = account.balance - still_valid.get(account.pk, 0)
                if expired > 0:
                    ledger_append(account, kind=EntryKind.EXPIRY, points=-expired, effective_at=now)
                    run.accounts += 1
                    run.points += expired
        if progress:
            progress(run)
    with transaction.atomic():
        JobWatermark.objects.update_or_create(name=WATERMARK, defaults={"reached_at": now})
    return run
