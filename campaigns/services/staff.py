"""Staff actions on automations and deliveries, each with an audit row."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import staff_action_record
from core.errors import Conflict, InvalidInput

from ..models import Automation, Delivery
from .deliveries import delivery_queue


def delivery_resend_by_staff(*, delivery: Delivery, actor: User, reason: str) -> Delivery:
    """Staff ask for an unsent message to be tried again, with a reason (audited).

    Locks the delivery; a sent one cannot be sent twice (`Conflict`). Writes one audit row with
    the status before and after, and queues the delivery's job in the same transaction: the same
    handler as every delivery, so a reward or bonus never given is given first, then the message.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A reason is required."), code="reason_required", field="reason")
    with transaction.atomic(savepoint=False):
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status == Delivery.Status.SENT:
            raise Conflict(
                _("This message was sent already; it is not sent twice."), code="already_sent"
            )
        if locked.status == Delivery.Status.SENDING and (
            locked.lease_until is not None and locked.lease_until > timezone.now()
        ):
            raise Conflict(
                _("This message is being sent right now; try again in a few minutes."),
                code="being_sent",
            )
        before = {
            "delivery": locked.pk,
            "automation": locked.automation_id,
            "status": locked.status,
            "skip_reason": locked.skip_reason,
            "attempts": locked.attempts,
        }
        locked.status, locked.skip_reason, locked.lease_until = Delivery.Status.PENDING, "", None
        locked.save(update_fields=["status", "skip_reason", "lease_until"])
        action = staff_action_record(
            actor=actor,
            action="resend_message",
            member=locked.member,
            reason=reason,
            before=before,
            after={"delivery": locked.pk, "status": locked.status},
        )
        delivery_queue(locked, cause=f"staff:{action.pk}")
    return locked


def automation_set_active(*, automation: Automation, is_active: bool, actor: User) -> Automation:
    """Pauses (`is_active=False`) or resumes an automation (audited).

    Locks the automation; when it already is as asked, nothing is written. Otherwise saves it (the
    cached event automations are forgotten on save) and writes one audit row with the state before
    and after, in the same transaction.
    """
    with transaction.atomic(savepoint=False):
        locked = Automation.objects.select_for_update().get(pk=automation.pk)
        if locked.is_active == is_active:
            return locked
        locked.is_active = is_active
        locked.save(update_fields=["is_active", "updated_at"])
        staff_action_record(
            actor=actor,
            action="resume_automation" if is_active else "pause_automation",
            before={"automation": locked.pk, "is_active": not is_active},
            after={"automation": locked.pk, "name": locked.name, "is_active": is_active},
        )
    return locked
