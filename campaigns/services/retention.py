"""Retention (GDPR art. 5(1)(e)): personal data kept no longer than the programme settings say.

Nightly (`campaigns.personal_data_purge`, `manage.py purge_personal_data`): message texts,
sign-in links, staff access logs, expired sessions and member import files (rejected rows,
`LOYALTY_IMPORT_RETENTION_DAYS`) past their period are removed, and
members blocked and left alone past theirs are erased. Dormant members are only listed for
managers (`campaigns.selectors.members_offered_for_erasure`): erasing them is a decision.
Batches of one transaction each; safe to repeat; one run at a time (job lock).
"""

import datetime
from collections.abc import Callable

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from accounts.models import Erasure, LoginToken, Member
from accounts.services import member_erase
from core.locks import job_lock
from points.models import LoyaltyProgram
from points.services.import_runs import member_import_files_purge

from ..models import OutboundMessage

BATCH = 1000


def _days_before(now: datetime.datetime, days: int) -> datetime.datetime:
    return now - datetime.timedelta(days=days)


def _purge_message_texts(cutoff: datetime.datetime) -> int:
    done = 0
    messages = OutboundMessage.objects.filter(sent_at__lt=cutoff)
    messages = messages.exclude(to="", subject="", body="")
    while ids := list(messages.order_by("pk").values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic(durable=True):
            done += OutboundMessage.objects.filter(pk__in=ids).erase_personal(
                to="", subject="", body=""
            )
    return done


def _delete_in_batches(queryset) -> int:
    done = 0
    while ids := list(queryset.order_by("pk").values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic(durable=True):
            done += queryset.model.objects.filter(pk__in=ids).delete()[0]
    return done


def _erase_closed_members(cutoff: datetime.datetime, days: int) -> int:
    closed = Member.objects.filter(status=Member.Status.BLOCKED, updated_at__lt=cutoff).exclude(
        pk__in=Erasure.objects.values("member_id")
    )
    done = 0
    for member in closed.order_by("pk").iterator():
        with transaction.atomic(durable=True):
            member_erase(
                member=member,
                actor=None,
                reason=f"Blocked and unchanged for more than {days} days",
                via=Erasure.Via.RETENTION,
            )
        done += 1
    return done


def personal_data_purge(
    *, now: datetime.datetime | None = None, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Removes what is past its retention period; returns how many rows of each kind."""
    now = now or timezone.now()
    program = LoyaltyProgram.current()
    say = progress or (lambda message: None)
    counts: dict[str, int] = {}
    with job_lock("personal_data_purge") as acquired:
        if not acquired:
            say("another purge is running; nothing done")
            return counts
        if days := program.message_retention_days:
            counts["message_texts"] = _purge_message_texts(_days_before(now, days))
            say(f"{counts['message_texts']} message texts older than {days} days removed")
        if days := program.sign_in_retention_days:
            counts["sign_in_links"] = _delete_in_batches(
                LoginToken.objects.filter(created_at__lt=_days_before(now, days))
            )
            say(f"{counts['sign_in_links']} sign-in links older than {days} days deleted")
        if days := program.access_log_retention_days:
            cutoff = _days_before(now, days)
            counts["access_logs"] = sum(
                _delete_in_batches(model.objects.filter(attempt_time__lt=cutoff))
                for model in (AccessAttempt, AccessLog, AccessFailureLog)
            )
            say(f"{counts['access_logs']} access log entries older than {days} days deleted")
        counts["sessions"] = _delete_in_batches(Session.objects.filter(expire_date__lt=now))
        say(f"{counts['sessions']} expired sessions deleted")
        if days := program.closed_member_retention_days:
            counts["closed_members"] = _erase_closed_members(_days_before(now, days), days)
            say(f"{counts['closed_members']} members blocked for over {days} days erased")
        if days := settings.LOYALTY_IMPORT_RETENTION_DAYS:
            counts["import_files"] = member_import_files_purge(before=_days_before(now, days))
            say(f"{counts['import_files']} member imports older than {days} days lost their files")
    return counts
