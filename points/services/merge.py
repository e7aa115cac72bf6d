"""The points part of merging two members: both point accounts locked in pk order, the
duplicate's balance moved with its expiry dates and tier-qualifying history, its purchases
and activities re-pointed. Called by `campaigns.services.member_merge` only."""

import datetime

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Member
from core.errors import Conflict
from core.queries import lock_or_create

from ..models import EntryKind, PointAccount, PointsEntry, Purchase, ScoreEntry, TierChange
from ..selectors import pending_unreleased
from ..tiers import qualifying_entries, tier_by_id
from .ledger import ledger_append
from .tiers import _change_tier


def point_accounts_lock_pair(*, duplicate: Member, survivor: Member) -> tuple:
    """Locks both members' point accounts (creating a missing one) in pk order: step 3 of the
    lock order, after the members. Returns (duplicate's, survivor's)."""
    for member in (duplicate, survivor):
        if not PointAccount.objects.filter(member_id=member.pk).exists():
            lock_or_create(PointAccount, member_id=member.pk)  # new: nobody else can hold it
    locked = {
        account.member_id: account
        for account in PointAccount.objects.select_for_update(no_key=True)
        .filter(member_id__in=[duplicate.pk, survivor.pk])
        .order_by("pk")
    }
    return locked[duplicate.pk], locked[survivor.pk]


def _lots(account: PointAccount) -> list[tuple[int, datetime.datetime | None]]:
    """The balance as (points, expires_at) lots, soonest expiry first. Spending takes the
    oldest points first, so what is left are the credits that expire last (never-expiring
    ones first of all)."""
    credits = list(
        PointsEntry.objects.filter(account=account, points__gt=0).values_list(
            "points", "expires_at"
        )
    )
    never = sum(points for points, expires_at in credits if expires_at is None)
    dated = sorted(
        ((points, expires_at) for points, expires_at in credits if expires_at is not None),
        key=lambda credit: credit[1],
        reverse=True,
    )
    left = account.balance
    by_date: dict[datetime.datetime | None, int] = {}
    for points, expires_at in [(never, None), *dated]:
        take = min(points, left)
        if take > 0:
            by_date[expires_at] = by_date.get(expires_at, 0) + take
            left -= take
    return sorted(
        ((points, expires_at) for expires_at, points in by_date.items()),
        key=lambda lot: (lot[1] is None, lot[1] or now_max()),
    )


def now_max() -> datetime.datetime:
    return datetime.datetime.max.replace(tzinfo=datetime.UTC)


def _qualifying_by_month(account: PointAccount, now: datetime.datetime) -> list[tuple]:
    """The account's tier-qualifying points in the current window, per local month, each with
    the month's first moment it earned in (so they leave the window no later than they would
    have)."""
    months: dict[tuple[int, int], list] = {}
    for points, effective_at in (
        qualifying_entries(now).filter(account=account).values_list("points", "effective_at")
    ):
        local = timezone.localtime(effective_at)
        month = months.setdefault((local.year, local.month), [0, effective_at])
        month[0] += points
        month[1] = min(month[1], effective_at)
    return [(points, first) for points, first in months.values() if points != 0]


def points_merge_check(*, duplicate: Member) -> None:
    """Refuses to merge a member whose points are still pending (#18): each pending credit is
    released, or cancelled by a refund, on the duplicate's own ledger, so it must have ended
    first. The answer says when the last of them is released."""
    account = PointAccount.objects.filter(member=duplicate).only("pending_balance").first()
    if account is not None and account.pending_balance > 0:
        last = (
            pending_unreleased()
            .filter(account=account)
            .order_by("-pending_until")
            .values_list("pending_until", flat=True)
            .first()
        )
        raise Conflict(
            _(
                "Member %(card)s still has %(points)s pending points (released by %(date)s); "
                "merge once they are released."
            )
            % {
                "card": duplicate.card_number,
                "points": account.pending_balance,
                "date": date_format(timezone.localtime(last), "SHORT_DATE_FORMAT") if last else "–",
            },
            code="points_pending",
            field="duplicate",
        )


def points_merge(
    *,
    duplicate_account: PointAccount,
    survivor_account: PointAccount,
    duplicate: Member,
    survivor: Member,
    actor: User,
    reason: str,
) -> dict:
    """Moves the points of the (locked) duplicate's account to the (locked) survivor's.

    - Balance: one MERGE_OUT on the duplicate (its balance becomes 0) and MERGE_IN entries on
      the survivor, one per expiry date the points had (`_lots`); the two sides add up to zero,
      so `check_ledger` stays clean.
    - Tier: the duplicate's qualifying points of the window arrive as a qualifying MERGE_IN per
      month (dated when earned, already expired so they add nothing to spend) with a
      non-qualifying MERGE_IN that takes them back off the balance; the tier service upgrades
      the survivor if they reach a higher tier. A higher tier the duplicate held (an imported
      one, say) is kept until its own `valid_until`.
    - Purchases move (their unique store and transaction id is unchanged); activities move
      unless the survivor has one with the same type and reference (unique), which stays.
    Returns counts for the audit row.
    """
    points_merge_check(duplicate=duplicate)  # again under the locks: a purchase may have come
    now = timezone.now()
    note = f"{duplicate.card_number} → {survivor.card_number}"  # the same in both languages
    moved = duplicate_account.balance
    lots = _lots(duplicate_account) if moved > 0 else []
    if moved:
        ledger_append(
            duplicate_account,
            kind=EntryKind.MERGE_OUT,
            points=-moved,
            expires_at=None,
            staff_user=actor,
            reason=reason,
            note=note,
        )
    if moved > 0:
        for points, expires_at in lots:
            ledger_append(
                survivor_account,
                kind=EntryKind.MERGE_IN,
                points=points,
                expires_at=expires_at,
                is_qualifying=False,
                staff_user=actor,
                reason=reason,
                note=note,
            )
    elif moved < 0:  # a refund took back points already spent: the debt moves too
        ledger_append(
            survivor_account,
            kind=EntryKind.MERGE_IN,
            points=moved,
            is_qualifying=False,
            staff_user=actor,
            reason=reason,
            note=note,
        )
    qualifying = 0
    for points, earned_at in _qualifying_by_month(duplicate_account, now):
        qualifying += points
        # The credit of the pair first, so the balance never dips on the way.
        pair = sorted(((points, True), (-points, False)), reverse=True)
        for part, counts in pair:
            ledger_append(
                survivor_account,
                kind=EntryKind.MERGE_IN,
                points=part,
                effective_at=earned_at if counts else now,
                is_qualifying=counts,
                # Already expired: only the balance lots above are there to spend.
                expires_at=(earned_at if counts else now) if part > 0 else None,
                staff_user=actor,
                reason=reason,
                note=note,
            )
    _keep_higher_tier(duplicate_account, survivor_account, now)
    PointAccount.objects.filter(pk=duplicate_account.pk).update(merged_at=now, updated_at=now)
    purchases = Purchase.objects.filter(member=duplicate).update(member=survivor)
    theirs = set(survivor.activities.values_list("activity_type_id", "reference"))
    kept_ids = [
        pk
        for pk, type_id, reference in duplicate.activities.values_list(
            "pk", "activity_type_id", "reference"
        )
        if (type_id, reference) in theirs
    ]
    activities = duplicate.activities.exclude(pk__in=kept_ids).update(member=survivor)
    return {
        "points": moved,
        "qualifying_points": qualifying,
        "purchases": purchases,
        "activities": activities,
        "activities_kept": len(kept_ids),
        "score_entries": _score_merge(duplicate=duplicate, survivor=survivor),
    }


def _score_merge(*, duplicate: Member, survivor: Member) -> int:
    """The duplicate's loyalty score joins the survivor's: each of its score entries is copied
    to the survivor with its own date, so it fades when it would have (the score ledger is
    append-only; the duplicate's entries stay with it as history). Keyed `merge:<entry>`, so
    the same entry is never copied twice."""
    copies = [
        ScoreEntry(
            member=survivor,
            source=entry.source,
            activity_type_id=entry.activity_type_id,
            score=entry.score,
            source_key=f"merge:{entry.pk}",
            occurred_at=entry.occurred_at,
        )
        for entry in ScoreEntry.objects.filter(member=duplicate).order_by("pk")
    ]
    ScoreEntry.objects.bulk_create(copies)
    return len(copies)


def _keep_higher_tier(
    duplicate_account: PointAccount, survivor_account: PointAccount, now: datetime.datetime
) -> None:
    theirs, ours = tier_by_id(duplicate_account.tier_id), tier_by_id(survivor_account.tier_id)
    if theirs is None or (ours is not None and ours.rank >= theirs.rank):
        return
    _change_tier(
        survivor_account, to_tier=theirs, reason=TierChange.Reason.MERGE, points=0, now=now
    )
    # Kept for as long as the duplicate would have kept it, then evaluated like any other.
    survivor_account.tier_valid_until = duplicate_account.tier_valid_until
    PointAccount.objects.filter(pk=survivor_account.pk).update(
        tier_valid_until=duplicate_account.tier_valid_until
    )
