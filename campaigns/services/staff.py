"""Staff actions on deliveries, each with a reason and an audit row."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import Conflict, InvalidInput
from accounts.services import staff_action_record

from ..models import Delivery
from .deliveries import _enqueue_sends


def delivery_resend_by_staff(
    *, delivery: Delivery, actor: AbstractBaseUser, reason: str
) -> Delivery:
    """Staff ask for an unsent message to be tried again, with a reason (audited).

    Locks the delivery; a sent one cannot be sent twice (`Conflict`). Writes one audit row with
    the status before and after; the send task is enqueued when the transaction commits.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A reason is required."), code="reason_required", field="reason")
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status == Delivery.Status.SENT:
            raise Conflict(
                _("This message was sent already; it is not sent twice."), code="already_sent"
            )
        before = {
            "delivery": locked.pk,
            "automation": locked.automation_id,
            "status": locked.status,
            "skip_reason": locked.skip_reason,
            "attempts": locked.attempts,
        }
        locked.status, locked.skip_reason, locked.claimed_at = Delivery.Status.PENDING, "", None
        locked.save(update_fields=["status", "skip_reason", "claimed_at"])
        staff_action_record(
            actor=actor,
            action="resend_message",
            member=locked.member,
            reason=reason,
            before=before,
            after={"delivery": locked.pk, "status": locked.status},
        )
        transaction.on_commit(lambda: _enqueue_sends([locked.pk]))
    return locked
