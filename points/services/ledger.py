"""The ledger primitives every points change goes through."""

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member
from accounts.services import staff_action_record
from core import webhooks
from core.errors import ApplicationError, InvalidInput, MemberBlocked
from core.queries import lock_or_create

from ..dates import add_months
from ..models import EntryKind, LoyaltyProgram, PointAccount, PointsEntry
from .tiers import tier_upgrade_if_qualified

# `ledger_append(expires_at=...)` unset: a credit expires by the programme's settings.
_BY_SETTINGS = object()

# Kinds whose points count towards tiers by default.
QUALIFYING_KINDS = {
    EntryKind.EARN,
    EntryKind.ACTIVITY,
    EntryKind.REFUND_REVERSAL,
    EntryKind.RELEASE,
    EntryKind.PENDING_CANCEL,
}


class PointsPending(ApplicationError):
    """The balance would do, with points that are still pending (inside a return window)."""

    code = "points_pending"

    def __init__(self, *, balance: int, needed: int, pending: int, field: str | None = None):
        super().__init__(
            _(
                "Not enough points yet: %(balance)s available, %(needed)s needed. "
                "%(pending)s more points are pending until the return period of a purchase "
                "ends; they cannot be spent before then."
            )
            % {"balance": balance, "needed": needed, "pending": pending},
            field=field,
            extra={"points_balance": balance, "points_needed": needed, "points_pending": pending},
        )


class InsufficientPoints(ApplicationError):
    code = "insufficient_points"

    def __init__(self, *, balance: int, needed: int, field: str | None = None) -> None:
        super().__init__(
            _("Not enough points: %(balance)s available, %(needed)s needed.")
            % {"balance": balance, "needed": needed},
            field=field,
            extra={"points_balance": balance, "points_needed": needed},
        )


def account_lock(member_id: int) -> PointAccount:
    """Locks the member's point account row (creating it if missing) for a balance change.

    Every read-modify-write of a balance starts here, so all writers for one member queue on the
    same row. Call inside a transaction. The account of a member merged into another one is
    closed: a change that waited for the merge's lock is refused (the till looks the card up
    again, and its alias finds the survivor).
    """
    account = lock_or_create(PointAccount, member_id=member_id)
    if account.merged_at is not None:
        raise MemberBlocked(
            _("This card was merged into another member's; look it up again."),
            field="card_number",
        )
    return account


def ledger_append(
    account: PointAccount,
    *,
    kind: str,
    points: int,
    effective_at: datetime.datetime | None = None,
    is_qualifying: bool | None = None,
    staff_user: User | None = None,
    reason: str = "",
    note: str = "",
    corrects: PointsEntry | None = None,
    expires_at: "datetime.datetime | None | object" = _BY_SETTINGS,
    pending_points: int = 0,
    pending_until: datetime.datetime | None = None,
    **links,
) -> PointsEntry:
    """Appends one entry and moves the cached balances with it. `account` must be locked.

    Credits get their expiry date here, from the programme settings in force when written,
    unless `expires_at` is given (a merge keeps the dates the points had).
    A qualifying credit upgrades the tier in the same transaction when it crosses a threshold.
    `pending_points` moves the pending (not yet spendable) points instead of, or as well as,
    the balance; a pending credit needs `pending_until`.
    """
    if not isinstance(points, int) or not isinstance(pending_points, int):
        raise ValueError("a ledger entry moves whole numbers of points")
    if points == 0 and pending_points == 0:
        raise ValueError("a ledger entry moves a non-zero number of points")
    if pending_points > 0 and pending_until is None:
        raise ValueError("pending points need the date they are released")
    effective_at = effective_at or timezone.now()
    program = LoyaltyProgram.current()
    if expires_at is _BY_SETTINGS:
        months = program.points_expire_after_months
        expires_at = add_months(effective_at, months) if points > 0 and months else None
    assert expires_at is None or isinstance(expires_at, datetime.datetime)
    balance_after = account.balance + points
    entry = PointsEntry.objects.create(
        account=account,
        kind=kind,
        points=points,
        pending_points=pending_points,
        pending_until=pending_until,
        balance_after=balance_after,
        is_qualifying=(kind in QUALIFYING_KINDS) if is_qualifying is None else is_qualifying,
        effective_at=effective_at,
        expires_at=expires_at if points > 0 else None,
        staff_user=staff_user,
        reason=reason,
        note=note[:200],
        corrects=corrects,
        **links,
    )
    PointAccount.objects.filter(pk=account.pk).update(
        balance=F("balance") + points,
        pending_balance=F("pending_balance") + pending_points,
        updated_at=timezone.now(),
    )
    account.balance = balance_after
    account.pending_balance += pending_points
    counted = points + (pending_points if program.tiers_count_pending_points else 0)
    if entry.is_qualifying and counted > 0:
        tier_upgrade_if_qualified(account)
    return entry


def points_spend(account: PointAccount, *, points: int, kind: str, note: str = "") -> PointsEntry:
    """Takes points from a locked account; never below zero."""
    if points <= 0:
        raise ValueError("spend a positive number of points")
    if account.balance < points:
        if account.balance + account.pending_balance >= points:
            # Says why, so the till can tell the member when they can spend them.
            raise PointsPending(
                balance=account.balance, needed=points, pending=account.pending_balance
            )
        raise InsufficientPoints(balance=account.balance, needed=points)
    return ledger_append(account, kind=kind, points=-points, note=note)


def points_adjust(
    *,
    member: Member,
    points: int,
    reason: str,
    actor: User,
    counts_for_tier: bool = False,
    corrects: PointsEntry | None = None,
) -> PointsEntry:
    """A staff correction: one ADJUSTMENT entry with the staff user and reason, plus an audit row.

    A correction cannot take the balance below zero.
    """
    if not (reason or "").strip():
        raise InvalidInput(_("A reason is required."), code="reason_required", field="reason")
    if not isinstance(points, int) or points == 0:
        raise InvalidInput(_("Enter a non-zero number of points."), field="points")
    if corrects is not None and corrects.account.member_id != member.pk:
        raise InvalidInput(_("The corrected entry belongs to another member."), field="corrects")
    with transaction.atomic(savepoint=False):
        account = account_lock(member.pk)
        if account.balance + points < 0:
            raise InsufficientPoints(balance=account.balance, needed=-points, field="points")
        before = account.balance
        entry = ledger_append(
            account,
            kind=EntryKind.ADJUSTMENT,
            points=points,
            is_qualifying=counts_for_tier,
            staff_user=actor,
            reason=reason.strip(),
            corrects=corrects,
        )
        staff_action_record(
            actor=actor,
            action="adjust_points",
            member=member,
            reason=reason.strip(),
            before={"points_balance": before},
            after={"points_balance": account.balance, "entry": entry.pk},
        )
        webhooks.emit(
            "points.adjusted",
            {"points": points, "balance": account.balance, "reason": reason.strip()},
            member_id=member.pk,
        )
    return entry
