"""Tiers: reached immediately with earned points (or spend, by the programme's setting), lost
only at an evaluation after `valid_until`."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from core import webhooks
from core.bulk import copy_rows, id_in
from core.locks import job_lock

from ..models import PointAccount, Tier, TierChange
from ..signals import tier_changed
from ..tiers import (
    qualifying_entries,
    qualifying_spend_by_member,
    qualifying_sum,
    qualifying_value,
    tier_by_id,
    tier_for_points,
    tiers_all,
    tiers_by_spend,
    valid_until_from,
)


@dataclass(frozen=True)
class TierMove:
    """One account's move, as the batch evaluation decides it (no model instances)."""

    account_id: int
    member_id: int
    from_tier: Tier | None
    to_tier: Tier | None
    reason: str
    points: int


HISTORY_COLUMNS = (
    "account_id",
    "from_tier_id",
    "to_tier_id",
    "reason",
    "qualifying_points",
    "created_at",
)


def _kept_until(tier: Tier | None, valid_until: datetime.datetime | None):
    """The entry tier, or no tier at all, cannot be lost: nothing to keep it valid for."""
    return valid_until if tier is not None and tier.threshold > 0 else None


def _record_moves(moves: list[TierMove], *, now: datetime.datetime) -> list[TierChange]:
    """Writes moves: one UPDATE per target tier, one INSERT of the history rows (COPY for a
    batch, without instances), the `tier.changed` webhooks. Returns the history rows of a small
    change."""
    valid_until = valid_until_from(now)
    by_target: dict[int | None, list[int]] = {}
    targets: dict[int | None, Tier | None] = {}
    for move in moves:
        key = move.to_tier.pk if move.to_tier else None
        by_target.setdefault(key, []).append(move.account_id)
        targets[key] = move.to_tier
    for key, account_ids in by_target.items():
        tier = targets[key]
        _set_tier(account_ids, tier=tier, valid_until=_kept_until(tier, valid_until), now=now)
    records: list[TierChange] = []
    if len(moves) > 100:
        copy_rows(
            TierChange,
            (
                "account_id",
                "from_tier_id",
                "to_tier_id",
                "reason",
                "qualifying_points",
                "created_at",
            ),
            [
                (
                    move.account_id,
                    move.from_tier.pk if move.from_tier else None,
                    move.to_tier.pk if move.to_tier else None,
                    move.reason,
                    move.points,
                    now,
                )
                for move in moves
            ],
        )
    else:
        records = TierChange.objects.bulk_create(
            TierChange(
                account_id=move.account_id,
                from_tier=move.from_tier,
                to_tier=move.to_tier,
                reason=move.reason,
                qualifying_points=move.points,
                created_at=now,
            )
            for move in moves
        )
    webhooks.emit_many(
        "tier.changed",
        (
            (
                move.member_id,
                {
                    "from_tier": move.from_tier.name_nl if move.from_tier else None,
                    "to_tier": move.to_tier.name_nl if move.to_tier else None,
                    "reason": move.reason,
                },
            )
            for move in moves
        ),
    )
    return records


def _set_tier(
    account_ids: list[int],
    *,
    tier: Tier | None,
    valid_until: datetime.datetime | None,
    now: datetime.datetime,
    keep: bool = False,
) -> None:
    """One UPDATE of the tier (unless `keep`) and its end for a list of accounts."""
    if not account_ids:
        return
    chosen, params = id_in("id", account_ids)
    ops = connection.ops
    assignments = "tier_valid_until = %s, updated_at = %s"
    values: list = [ops.adapt_datetimefield_value(valid_until), ops.adapt_datetimefield_value(now)]
    if not keep:
        assignments += ", tier_id = %s"
        values.append(tier.pk if tier else None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {PointAccount._meta.db_table} SET {assignments} WHERE {chosen}",
            [*values, *params],
        )


def _change_tier(
    account: PointAccount,
    *,
    to_tier: Tier | None,
    reason: str,
    points: int,
    now: datetime.datetime,
) -> TierChange:
    """Moves one locked account (upgrade, entry tier) and sends `tier_changed`."""
    from_tier = tier_by_id(account.tier_id)
    move = TierMove(account.pk, account.member_id, from_tier, to_tier, reason, points)
    record = _record_moves([move], now=now)[0]
    account.tier = to_tier
    account.tier_valid_until = _kept_until(to_tier, valid_until_from(now))
    tier_changed.send(
        sender=PointAccount, account=account, from_tier=from_tier, to_tier=to_tier, reason=reason
    )
    return record


def tier_upgrade_if_qualified(account: PointAccount) -> TierChange | None:
    """Moves a locked account up as soon as its qualifying points reach a higher tier.

    Called in the transaction of every qualifying credit, so the upgrade commits with the
    earning that crossed the threshold. Never moves down.
    """
    tiers = tiers_all()
    if not tiers:
        return None
    current = tier_by_id(account.tier_id)
    if current is not None and current.pk == tiers[-1].pk:
        return None  # already at the top: no need to count
    now = timezone.now()
    points = qualifying_value(account, now=now)
    target = tier_for_points(points, tiers)
    if target is None or (current is not None and target.rank <= current.rank):
        return None
    reason = (
        TierChange.Reason.ENTRY
        if current is None and target.threshold == 0
        else TierChange.Reason.UPGRADE
    )
    return _change_tier(account, to_tier=target, reason=reason, points=points, now=now)


def tier_assign_entry(account: PointAccount) -> TierChange | None:
    """A new member starts in the tier that needs no points, if there is one."""
    tiers = tiers_all()
    if account.tier_id is not None or not tiers or tiers[0].threshold != 0:
        return None
    return _change_tier(
        account, to_tier=tiers[0], reason=TierChange.Reason.ENTRY, points=0, now=timezone.now()
    )


@dataclass
class TierEvaluationRun:
    evaluated: int = 0
    downgraded: int = 0
    renewed: int = 0
    assigned: int = 0
    skipped: bool = False  # another run held the lock


def tiers_evaluate_due(
    *,
    now: datetime.datetime | None = None,
    batch_size: int = 1000,
    progress: Callable[[TierEvaluationRun], None] | None = None,
) -> TierEvaluationRun:
    """Looks at every account whose tier period ended (or that has no tier yet).

    A member who still qualifies keeps the tier for another window; one who does not moves down to
    the tier their points reach. Batches of accounts, each locked in pk order in its own
    transaction; qualifying points are summed per batch in one query. Safe to repeat.
    """
    now = now or timezone.now()
    with job_lock("tiers_evaluate") as acquired:
        if not acquired:
            return TierEvaluationRun(skipped=True)
        return _evaluate(now, batch_size, progress)


def _evaluate(now, batch_size, progress) -> "TierEvaluationRun":
    run = TierEvaluationRun()
    tiers = tiers_all()
    if not tiers:
        return run
    due = PointAccount.objects.filter(tier_valid_until__lte=now) | PointAccount.objects.filter(
        tier__isnull=True
    )
    # A merged member's account is closed: its tier no longer matters (nor tells anyone).
    due = due.filter(merged_at__isnull=True)
    by_id = {tier.pk: tier for tier in tiers}
    last_id = 0
    while True:
        with transaction.atomic(durable=True):
            # The next batch of due accounts, locked in pk order: one query, tuples, no models.
            rows = list(
                due.filter(pk__gt=last_id)
                .order_by("pk")
                .select_for_update(no_key=True)
                .values_list("pk", "member_id", "tier_id", "tier_valid_until")[:batch_size]
            )
            if not rows:
                break
            last_id = rows[-1][0]
            if tiers_by_spend():
                spend = qualifying_spend_by_member([row[1] for row in rows], now)
                totals = {pk: spend.get(member_id, 0) for pk, member_id, *_rest in rows}
            else:
                totals = dict(
                    qualifying_entries(now)
                    # A range, not IN (ids): PostgreSQL misjudges long IN lists and scans the
                    # table.
                    .filter(account_id__gte=rows[0][0], account_id__lte=last_id)
                    .values("account_id")
                    .annotate(total=qualifying_sum())
                    .values_list("account_id", "total")
                )
            moves: list[TierMove] = []
            renewals: list[int] = []
            for pk, member_id, tier_id, valid_until in rows:
                points = max(0, totals.get(pk) or 0)
                target = tier_for_points(points, tiers)
                current = by_id.get(tier_id) if tier_id is not None else None
                run.evaluated += 1
                if current is None:
                    if target is not None:
                        moves.append(
                            TierMove(pk, member_id, None, target, TierChange.Reason.ENTRY, points)
                        )
                        run.assigned += 1
                elif valid_until is None or valid_until > now:
                    continue  # not due (matched by the tier-less filter only)
                elif target is not None and target.rank >= current.rank:
                    renewals.append(pk)
                    run.renewed += 1
                else:
                    moves.append(
                        TierMove(
                            pk, member_id, current, target, TierChange.Reason.DOWNGRADE, points
                        )
                    )
                    run.downgraded += 1
            _set_tier(renewals, keep=True, tier=None, valid_until=valid_until_from(now), now=now)
            # No `tier_changed` per account here: its listeners act on upgrades, which only
            # earning makes (points/signals.py); the moves are in TierChange and the webhooks.
            _record_moves(moves, now=now)
        if progress:
            progress(run)
    return run
