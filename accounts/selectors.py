"""Reads of the accounts app that screens share: a member's consent history and audit trail."""

from django.db.models import QuerySet

from .cards import normalise_card_number
from .models import CardAlias, ConsentChange, Member, StaffAction


def consent_changes_for(*, member: Member) -> QuerySet[ConsentChange]:
    """The member's consent changes, newest first."""
    return ConsentChange.objects.filter(member=member)


def staff_actions_for(*, member: Member) -> QuerySet[StaffAction]:
    """What staff did to the member (the audit trail), newest first, with who did it."""
    return StaffAction.objects.filter(member=member).select_related("staff_user")


def member_by_card_alias(number: str) -> int | None:
    """The member a legacy or merged card number now belongs to (its pk), if any."""
    number = normalise_card_number(number or "")
    if not 0 < len(number) <= 32:
        return None
    return CardAlias.objects.filter(number=number).values_list("member_id", flat=True).first()
