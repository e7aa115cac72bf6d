"""Staff actions on members: the audit trail and blocking."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import InvalidInput

from ..models import (
    Member,
    StaffAction,
)


def staff_action_record(
    *,
    actor: User,
    action: str,
    member: Member | None = None,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> StaffAction:
    """Appends to the audit trail; call inside the transaction of the action it records."""
    return StaffAction.objects.create(
        staff_user=actor,
        action=action,
        member=member,
        reason=reason,
        before=before or {},
        after=after or {},
    )


def member_set_status(*, member: Member, status: str, reason: str, actor: User) -> Member:
    if not reason.strip():
        raise InvalidInput(_("A reason is required."), code="reason_required", field="reason")
    with transaction.atomic(savepoint=False):
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.status == status:
            return member
        before = {"status": member.status}
        member.status = status
        member.save(update_fields=["status", "updated_at"])
        staff_action_record(
            actor=actor,
            action="block_member" if status == Member.Status.BLOCKED else "unblock_member",
            member=member,
            reason=reason,
            before=before,
            after={"status": status},
        )
    return member
