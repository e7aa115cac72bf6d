"""Reads of the accounts app that screens share: a member's consent history and audit trail."""

from django.db.models import QuerySet

from .cards import normalise_card_number
from .models import Branding, CardAlias, ConsentChange, Member, StaffAction


def consent_changes_for(*, member: Member) -> QuerySet[ConsentChange]:
    """The member's consent changes, newest first."""
    return ConsentChange.objects.filter(member=member).select_related("store", "changed_by")


def consent_proof_for(*, member: Member) -> list[dict]:
    """The member's consent history as proof (oldest first): when, which channel, given or
    withdrawn, how, where, by whom, and the detail. The staff CSV and the member's own data
    download both show exactly this."""
    return [
        {
            "changed_at": change.changed_at,
            "channel": change.channel,
            "granted": change.is_granted,
            "source": change.source,
            "source_label": str(change.get_source_display()),
            "store": change.store.name if change.store else "",
            "changed_by": change.changed_by_label,
            "detail": change.detail,
        }
        for change in consent_changes_for(member=member).order_by("changed_at", "pk")
    ]


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


def member_by_card_alias(number: str) -> int | None:
    """The member a legacy or merged card number now belongs to (its pk), if any."""
    number = normalise_card_number(number or "")
    if not 0 < len(number) <= 32:
        return None
    return CardAlias.objects.filter(number=number).values_list("member_id", flat=True).first()
