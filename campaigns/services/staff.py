"""Staff actions on deliveries, each with a reason and an audit row."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import staff_action_record
from core.errors import Conflict, InvalidInput

from ..models import Delivery
from .deliveries import delivery_queue


def delivery_resend_by_staff(
    *, delivery: Delivery, actor: AbstractBaseUser, reason: str
) -> Delivery:
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
