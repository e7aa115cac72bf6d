"""Reads of the accounts app that screens share: a member's consent history and audit trail."""

from django.db.models import QuerySet

from .models import Branding, ConsentChange, Member, StaffAction


def consent_changes_for(*, member: Member) -> QuerySet[ConsentChange]:
    """The member's consent changes, newest first."""
    return ConsentChange.objects.filter(member=member)


def staff_actions_for(*, member: Member) -> QuerySet[StaffAction]:
    """What staff did to the member (the audit trail), newest first, with who did it."""
    return StaffAction.objects.filter(member=member).select_related("staff_user")


def active_member_get(member_id: int) -> Member | None:
    """The member with this id if they may use the portal (None once closed or blocked)."""
    return Member.objects.filter(pk=member_id, status=Member.Status.ACTIVE).first()


def active_member_by_email(email: str) -> Member | None:
    """The active member with this address (as typed: trimmed, any case), with their user."""
    return (
        Member.objects.filter(email=email.strip().lower(), status=Member.Status.ACTIVE)
        .select_related("user")
        .first()
    )


def branding_logo() -> tuple[bytes, str] | None:
    """The programme's logo and its content type, or None when there is none."""
    row = Branding.objects.filter(pk=1).values_list("logo", "logo_content_type").first()
    if row is None or not row[1]:
        return None
    return bytes(row[0]), row[1]
