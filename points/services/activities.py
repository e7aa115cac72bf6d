"""Points for non-purchase activities, capped per member per period, idempotent on reference."""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member, Store
from core.errors import ApplicationError, Conflict, InvalidInput, MemberBlocked
from core.outcomes import from_record, to_record
from core.queries import one_or_none

from ..dates import period_end, period_start
from ..models import Activity, ActivityType, EntryKind, ScoreSource
from .ledger import account_lock, ledger_append
from .purchases import fingerprint, validate_occurred_at
from .score import score_record


class ActivityCapReached(ApplicationError):
    code = "activity_cap_reached"


@dataclass(frozen=True)
class ActivityReceipt:
    """The answer to an activity, kept with it (`Activity.response_body`) for retries."""

    card_number: str
    activity_type: str
    reference: str
    points_earned: int
    points_balance: int


@dataclass(frozen=True)
class ActivityOutcome:
    activity: Activity
    receipt: ActivityReceipt
    replayed: bool


def _replay(existing: Activity, request_fingerprint: str) -> ActivityOutcome:
    if existing.request_hash != request_fingerprint:
        raise Conflict(
            _("This reference was already used for a different activity."),
            code="reference_conflict",
            field="reference",
        )
    receipt = from_record(ActivityReceipt, existing.response_body)
    return ActivityOutcome(activity=existing, receipt=receipt, replayed=True)


def activity_type_get(code: str) -> ActivityType:
    activity_type = one_or_none(ActivityType.objects.filter(code=code, is_active=True))
    if activity_type is None:
        raise InvalidInput(
            _("Unknown activity type."), code="unknown_activity_type", field="activity_type"
        )
    return activity_type


def activity_record(
    *,
    member: Member,
    activity_type: ActivityType,
    reference: str,
    store: Store | None = None,
    occurred_at: datetime.datetime | None = None,
) -> ActivityOutcome:
    """An entry point (API, demo data): `activity_award` in a transaction of its own."""
    with transaction.atomic(durable=True):
        return activity_award(
            member=member,
            activity_type=activity_type,
            reference=reference,
            store=store,
            occurred_at=occurred_at,
        )


def activity_award(
    *,
    member: Member,
    activity_type: ActivityType,
    reference: str,
    store: Store | None = None,
    occurred_at: datetime.datetime | None = None,
) -> ActivityOutcome:
    """Awards an activity's points once per (member, type, reference), within its cap.

    Inside the caller's transaction (a survey answer and its points commit together). Locks the
    member's account, so parallel activities cannot slip past the cap together.
    """
    request_fingerprint = fingerprint(
        {
            "type": activity_type.code,
            "occurred_at": occurred_at.isoformat() if occurred_at else None,
        }
    )
    moment = validate_occurred_at(occurred_at, now=timezone.now())
    if not member.is_active:
        raise MemberBlocked(field="card_number")
    lookup = {"member": member, "activity_type": activity_type, "reference": reference}
    with transaction.atomic(savepoint=False):
        existing = one_or_none(Activity.objects.filter(**lookup))
        if existing is not None:
            return _replay(existing, request_fingerprint)
        account = account_lock(member.pk)
        existing = one_or_none(Activity.objects.filter(**lookup))
        if existing is not None:
            return _replay(existing, request_fingerprint)
        if activity_type.cap is not None:
            earlier = Activity.objects.filter(member=member, activity_type=activity_type)
            start = period_start(moment, activity_type.cap_period)
            if start is not None:
                earlier = earlier.filter(
                    occurred_at__gte=start,
                    occurred_at__lt=period_end(moment, activity_type.cap_period),
                )
            if earlier.count() >= activity_type.cap:
                raise ActivityCapReached(
                    _("This activity already earned points %(cap)s time(s) %(period)s.")
                    % {"cap": activity_type.cap, "period": activity_type.get_cap_period_display()},
                    field="activity_type",
                )
        try:
            with transaction.atomic(savepoint=True):
                activity = Activity.objects.create(
                    points=activity_type.points,
                    occurred_at=moment,
                    store=store,
                    request_hash=request_fingerprint,
                    **lookup,
                )
        except IntegrityError:
            return _replay(Activity.objects.get(**lookup), request_fingerprint)
        ledger_append(
            account,
            kind=EntryKind.ACTIVITY,
            points=activity_type.points,
            effective_at=moment,
            activity=activity,
        )
        score_record(
            member_id=member.pk,
            source=ScoreSource.ACTIVITY,
            source_key=f"activity:{activity.pk}",
            occurred_at=moment,
            activity_type=activity_type,
        )
        receipt = ActivityReceipt(
            card_number=member.card_number,
            activity_type=activity_type.code,
            reference=reference,
            points_earned=activity_type.points,
            points_balance=account.balance,
        )
        activity.response_body = to_record(receipt)
        activity.save(update_fields=["response_body"])
    return ActivityOutcome(activity=activity, receipt=receipt, replayed=False)
