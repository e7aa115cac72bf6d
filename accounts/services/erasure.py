"""Erasure (GDPR art. 17): one member's personal data removed everywhere, the bookkeeping kept."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import webhooks
from core.errors import InvalidInput
from core.personal_data import Subject, erase_everywhere, scrub

from ..models import CONSENT_FIELDS, ClosureRequest, ConsentChange, Erasure, Member


def subject_of(member: Member) -> Subject:
    user = member.user
    return Subject(
        member_id=member.pk,
        card_number=member.card_number,
        user_id=user.pk if user else None,
        username=user.username if user else "",
        email=member.email or (user.email if user else ""),
        phone=member.phone or "",
        first_name=member.first_name,
        last_name=member.last_name,
        birth_date=member.birth_date,
    )


def member_erase(
    *, member: Member, actor: User | None, reason: str, via: str = Erasure.Via.STAFF
) -> Erasure:
    """Removes or irreversibly replaces every personal value of the member, in every table
    that registered its personal columns (`core.personal_data`); the ledger, purchases and
    codes stay as anonymous bookkeeping under the card number. Consents are withdrawn (and
    recorded), sign-in is gone, open closure requests are handled.

    Locks the member. Audited once (who, when, why, how asked; not what) in `Erasure`.
    Idempotent: erasing again scrubs again (finding nothing) and records nothing.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A reason is required."), code="reason_required", field="reason")
    with transaction.atomic(savepoint=False):
        member = (
            Member.objects.select_related("user").select_for_update(of=("self",)).get(pk=member.pk)
        )
        subject = subject_of(member)
        withdrawn = [channel for channel, field in CONSENT_FIELDS.items() if getattr(member, field)]
        ConsentChange.objects.bulk_create(
            ConsentChange(
                member=member,
                channel=channel,
                is_granted=False,
                source=ConsentChange.Source.ERASURE,
            )
            for channel in withdrawn
        )
        erase_everywhere(subject)
        ClosureRequest.objects.filter(member=member, handled_at__isnull=True).update(
            handled_at=timezone.now()
        )
        erasure = Erasure.objects.filter(member=member).first()
        if erasure is None:
            erasure = Erasure.objects.create(
                member=member, erased_by=actor, via=via, reason=scrub(reason, subject)
            )
            # Other systems must forget the person too; the event itself names no one.
            webhooks.emit("member.erased", {"card_number": member.card_number}, member_id=member.pk)
    return erasure
