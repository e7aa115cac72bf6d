"""Pending points (#18): points earned inside a return window become spendable when it ends.

A pending EARN holds its points in `pending_points` (and the account's `pending_balance`). The
release job writes one RELEASE entry per due EARN, moving what a timely refund did not cancel
(PENDING_CANCEL) from the pending points to the balance. A RELEASE points at its EARN
(`corrects`), and the database takes one RELEASE per EARN (`pending_points_released_once`).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from core.bulk import update_from_values
from core.locks import job_lock

from ..dates import add_months
from ..models import EntryKind, LoyaltyProgram, PointAccount, PointsEntry
from ..selectors import pending_unreleased
from .tiers import tier_upgrade_if_qualified

JOB = "points_release"


@dataclass
class ReleaseRun:
    accounts: int = 0
    points: int = 0
    skipped: bool = False  # another run held the lock


def pending_due(now: datetime.datetime):
    """Pending EARN entries whose window ended and that still hold points to release."""
    return pending_unreleased().filter(pending_until__lte=now)


def _account_batches(now: datetime.datetime, size: int):
    last_id = 0
    while True:
        batch = list(
            pending_due(now)
            .filter(account_id__gt=last_id)
            .order_by("account_id")
            .values_list("account_id", flat=True)
            .distinct()[:size]
        )
        if not batch:
            return
        yield batch
        last_id = batch[-1]


def points_release_due(
    *,
    now: datetime.datetime | None = None,
    batch_size: int = 1000,
    progress: Callable[[ReleaseRun], None] | None = None,
) -> ReleaseRun:
    """Releases the pending points whose return window ended: one RELEASE entry per purchase.

    Set-based per batch of accounts (locked in pk order, one transaction each): one INSERT of
    the entries, one UPDATE of the balances. Safe to repeat and to run twice at once: a run that
    overlaps another skips (job lock); under the account locks each batch reads again what is
    still pending, so a refund that cancelled meanwhile is respected; and the database refuses a
    second RELEASE of one EARN.
    """
    now = now or timezone.now()
    with job_lock(JOB) as acquired:
        if not acquired:
            return ReleaseRun(skipped=True)
        run = ReleaseRun()
        for account_ids in _account_batches(now, batch_size):
            _release_batch(account_ids, now, run)
            if progress:
                progress(run)
        return run


def _release_batch(account_ids: list[int], now: datetime.datetime, run: ReleaseRun) -> None:
    program = LoyaltyProgram.current()
    months = program.points_expire_after_months
    with transaction.atomic(durable=True):
        accounts = {
            account.pk: account
            for account in PointAccount.objects.filter(pk__in=account_ids)
            .only("id", "balance", "pending_balance", "member_id", "tier_id", "tier_valid_until")
            .order_by("pk")
            .select_for_update(no_key=True)
        }
        # Read under the locks: what a refund cancelled before we got them is not released.
        due = list(
            pending_due(now)
            .filter(account_id__in=account_ids)
            .order_by("account_id", "pk")
            .only("id", "account_id", "purchase_id", "effective_at", "is_qualifying")
        )
        stamp = timezone.now()
        entries: list[PointsEntry] = []
        released: dict[int, int] = {}
        for earn in due:
            account = accounts[earn.account_id]
            points = earn.remaining
            account.balance += points
            account.pending_balance -= points
            released[account.pk] = released.get(account.pk, 0) + points
            entries.append(
                PointsEntry(
                    account=account,
                    kind=EntryKind.RELEASE,
                    points=points,
                    pending_points=-points,
                    balance_after=account.balance,
                    is_qualifying=earn.is_qualifying,
                    # Counts (tiers) and expires as of the purchase, as an immediate EARN would.
                    effective_at=earn.effective_at,
                    expires_at=add_months(earn.effective_at, months) if months else None,
                    purchase_id=earn.purchase_id,
                    corrects=earn,
                    created_at=stamp,
                )
            )
        PointsEntry.objects.bulk_create(entries, batch_size=1000)
        update_from_values(
            PointAccount._meta.db_table,
            key="id",
            assignments=(
                "balance = balance + batch.released, "
                "pending_balance = pending_balance - batch.released, updated_at = batch.stamp"
            ),
            columns=("released", "stamp"),
            rows=[
                (pk, points, connection.ops.adapt_datetimefield_value(stamp))
                for pk, points in released.items()
            ],
        )
        if not program.tiers_count_pending_points:
            # The released points count towards tiers from now: upgrade who crossed a threshold.
            for pk in released:
                tier_upgrade_if_qualified(accounts[pk])
        run.accounts += len(released)
        run.points += sum(released.values())
