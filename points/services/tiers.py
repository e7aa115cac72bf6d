"""Tiers: reached immediately with earned points (or spend, by the programme's setting), lost
only at an evaluation after `valid_until`."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core import webhooks
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


def _change_tiers(
    changes: list[tuple[PointAccount, Tier | None, str, int]], *, now: datetime.datetime
) -> list[TierChange]:
    """Moves each (account, to_tier, reason, qualifying points): one UPDATE per target tier, one
    INSERT of the history rows, then the signal for each move (after the writes it reports)."""
    valid_until = valid_until_from(now)
    by_target: dict[int | None, list[int]] = {}
    records = []
    for account, to_tier, reason, points in changes:
        records.append(
            TierChange(
                account=account,
                from_tier=tier_by_id(account.tier_id),
                to_tier=to_tier,
                reason=reason,
                qualifying_points=points,
                created_at=now,
            )
        )
        # The entry tier, or no tier at all, cannot be lost: nothing to keep it valid for.
        can_be_lost = to_tier is not None and to_tier.threshold > 0
        account.tier = to_tier
        account.tier_valid_until = valid_until if can_be_lost else None
        by_target.setdefault(to_tier.pk if to_tier else None, []).append(account.pk)
    for tier_pk, account_ids in by_target.items():
        tier = tier_by_id(tier_pk)
        PointAccount.objects.filter(pk__in=account_ids).update(
            tier=tier,
            tier_valid_until=valid_until if tier is not None and tier.threshold > 0 else None,
            updated_at=now,
        )
    TierChange.objects.bulk_create(records, batch_size=1000)
    webhooks.emit_many(
        "tier.changed",
        [
            (
                record.account.member_id,
                {
                    "from_tier": record.from_tier.name_nl if record.from_tier else None,
                    "to_tier": record.to_tier.name_nl if record.to_tier else None,
                    "reason": record.reason,
                },
            )
            for record in records
        ],
    )
    for record in records:
        tier_changed.send(
            sender=PointAccount,
            account=record.account,
            from_tier=record.from_tier,
            to_tier=record.to_tier,
            reason=record.reason,
        )
    return records


def _change_tier(
    account: PointAccount,
    *,
    to_tier: Tier | None,
    reason: str,
    points: int,
    now: datetime.datetime,
) -> TierChange:
    return _change_tiers([(account, to_tier, reason, points)], now=now)[0]


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
    last_id = 0
    while True:
        ids = list(
            due.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        last_id = ids[-1]
        with transaction.atomic(durable=True):
            accounts = list(
                PointAccount.objects.filter(pk__in=ids)
                .only("id", "member_id", "tier_id", "tier_valid_until")
                .order_by("pk")
                .select_for_update(no_key=True)
            )
            if tiers_by_spend():
                spend = qualifying_spend_by_member([a.member_id for a in accounts], now)
                totals = {a.pk: spend.get(a.member_id, 0) for a in accounts}
            else:
                totals = dict(
                    qualifying_entries(now)
                    # A range, not IN (ids): PostgreSQL misjudges long IN lists and scans the
                    # table.
                    .filter(account_id__gte=ids[0], account_id__lte=ids[-1])
                    .values("account_id")
                    .annotate(total=qualifying_sum())
                    .values_list("account_id", "total")
                )
            changes: list[tuple[PointAccount, Tier | None, str, int]] = []
            renewals: list[int] = []
            for account in accounts:
                points = max(0, totals.get(account.pk) or 0)
                target = tier_for_points(points, tiers)
                current = tier_by_id(account.tier_id)
                run.evaluated += 1
                if current is None:
                    if target is not None:
                        changes.append((account, target, TierChange.Reason.ENTRY, points))
                        run.assigned += 1
                elif account.tier_valid_until is None or account.tier_valid_until > now:
                    continue  # not due (matched by the tier-less filter only)
                elif target is not None and target.rank >= current.rank:
                    renewals.append(account.pk)
                    run.renewed += 1
                else:
                    changes.append((account, target, TierChange.Reason.DOWNGRADE, points))
                    run.downgraded += 1
            if renewals:
                PointAccount.objects.filter(pk__in=renewals).update(
                    tier_valid_until=valid_until_from(now), updated_at=now
                )
            _change_tiers(changes, now=now)
        if progress:
            progress(run)
    return run
