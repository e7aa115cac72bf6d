"""Members: enrolment, contact details, consent."""

import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core import webhooks
from core.errors import Conflict, InvalidInput

from ..cards import generate_card_number
from ..codes import REFERRAL_CODE_LENGTH, normalise_code, readable_code
from ..models import (
    CONSENT_FIELDS,
    ConsentChange,
    Erasure,
    Member,
    Store,
)
from ..normalise import normalise_email, normalise_phone
from ..signals import member_enrolled


def _validate_birth_date(birth_date: datetime.date | None) -> None:
    if birth_date is None:
        return
    today = timezone.localdate()
    if birth_date > today or birth_date.year < 1900:
        raise InvalidInput(
            _("Enter a real birth date."), code="invalid_birth_date", field="birth_date"
        )


def _raise_if_contact_taken(*, email: str | None, phone: str | None, exclude_pk=None) -> None:
    others = Member.objects.exclude(pk=exclude_pk)
    if email and others.filter(email=email).exists():
        raise Conflict(
            _("This e-mail address already belongs to a member."), code="email_taken", field="email"
        )
    if phone and others.filter(phone=phone).exists():
        raise Conflict(
            _("This phone number already belongs to a member."), code="phone_taken", field="phone"
        )


def member_enrol(
    *,
    email: str | None = None,
    phone: str | None = None,
    first_name: str = "",
    last_name: str = "",
    birth_date: datetime.date | None = None,
    language: str = "nl",
    consents: dict[str, bool] | None = None,
    store: Store | None = None,
    source: str = ConsentChange.Source.POS,
    referral_code: str | None = None,
    enrolled_at: datetime.datetime | None = None,
) -> Member:
    """Creates a member with a fresh card number and records the consents given.

    A valid `referral_code` (of another member) records who brought the member in.
    Sends `member_enrolled` inside the transaction (points opens the account, campaigns
    react to welcome and referral triggers).
    """
    email = normalise_email(email)
    phone = normalise_phone(phone)
    _validate_birth_date(birth_date)
    now = timezone.now()
    # Checked before the transaction, so a refusal leaves the caller's transaction usable; the
    # unique constraints on email and phone catch a concurrent twin (see below).
    _raise_if_contact_taken(email=email, phone=phone)
    referrer = _referrer(referral_code)
    with transaction.atomic(savepoint=False):
        member = Member(
            referred_by=referrer,
            email=email,
            phone=phone,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            birth_date=birth_date,
            language=language,
            enrolled_store=store,
            enrolled_at=enrolled_at or now,
        )
        for channel, is_granted in (consents or {}).items():
            if is_granted:
                setattr(member, CONSENT_FIELDS[channel], now)
        _save_with_fresh_card_number(member)
        ConsentChange.objects.bulk_create(
            ConsentChange(
                member=member, channel=channel, is_granted=True, source=source, store=store
            )
            for channel, is_granted in (consents or {}).items()
            if is_granted
        )
        member_enrolled.send(sender=Member, member=member, referral_code=referral_code)
        webhooks.emit(
            "member.enrolled",
            {"card_number": member.card_number, "language": member.language},
            member_id=member.pk,
        )
    return member


def _referrer(referral_code: str | None) -> Member | None:
    if not referral_code:
        return None
    referrer = Member.objects.filter(referral_code=normalise_code(referral_code)).first()
    if referrer is None:
        raise InvalidInput(
            _("Unknown referral code."), code="unknown_referral_code", field="referral_code"
        )
    # A merged member's code still brings friends in, to the member it was merged into.
    return referrer.merged_into or referrer


def _save_with_fresh_card_number(member: Member) -> None:
    for _attempt in range(5):
        member.card_number = generate_card_number()
        member.referral_code = readable_code(REFERRAL_CODE_LENGTH)
        try:
            with transaction.atomic(savepoint=True):
                member.save()
            return
        except IntegrityError as error:
            # A card number collision is retried; a concurrent enrolment with the same contact
            # details is a conflict.
            message = str(error).lower()
            if "email" in message:
                raise Conflict(
                    _("This e-mail address already belongs to a member."),
                    code="email_taken",
                    field="email",
                ) from error
            if "phone" in message:
                raise Conflict(
                    _("This phone number already belongs to a member."),
                    code="phone_taken",
                    field="phone",
                ) from error
    raise RuntimeError("Could not find a free card number after 5 attempts")


def member_consent_set(
    *,
    member: Member,
    channel: str,
    is_granted: bool,
    source: str,
    actor: User | None = None,
    store: Store | None = None,
    detail: str = "",
) -> Member:
    """Grants or withdraws consent for one channel; a no-op when nothing changes. Records the
    change as proof: how (`source`), where (`store`), by whom (`actor`: staff, or None when
    the member did it) and `detail`. Locks the member."""
    field = CONSENT_FIELDS[channel]
    with transaction.atomic(savepoint=False):
        member = Member.objects.select_for_update().get(pk=member.pk)
        if bool(getattr(member, field)) == is_granted:
            return member
        setattr(member, field, timezone.now() if is_granted else None)
        member.save(update_fields=[field, "updated_at"])
        ConsentChange.objects.create(
            member=member,
            channel=channel,
            is_granted=is_granted,
            source=source,
            store=store,
            changed_by=actor,
            detail=detail[:200],
        )
        webhooks.emit(
            "consent.changed",
            {"channel": channel, "granted": is_granted, "source": source},
            member_id=member.pk,
        )
    return member


def member_consents_set(*, member: Member, choices: dict[str, bool], source: str) -> Member:
    """Sets the member's consent per channel (`{"email": True, "sms": False, …}`), all or none:
    SMS and WhatsApp need a mobile number to send to, so granting one without it is refused
    before anything changes. One transaction (the member locked by the first channel's change);
    one consent change row per channel changed."""
    unknown = set(choices) - set(CONSENT_FIELDS)
    if unknown:
        raise InvalidInput(
            _("Choose e-mail, SMS or WhatsApp."), code="invalid_channel", field=sorted(unknown)[0]
        )
    # Before the transaction, as in member_enrol: a refusal leaves the caller's one usable.
    current = Member.objects.get(pk=member.pk)
    for channel in ("sms", "whatsapp"):
        if (
            choices.get(channel)
            and not current.phone
            and not getattr(current, CONSENT_FIELDS[channel])
        ):
            raise InvalidInput(
                _("Add your mobile number to your details first."),
                code="phone_required",
                field=channel,
            )
    with transaction.atomic(savepoint=False):
        # member_consent_set locks the member; the lock holds until this transaction ends.
        for channel, is_granted in choices.items():
            current = member_consent_set(
                member=current, channel=channel, is_granted=is_granted, source=source
            )
    return current


# The personal data on the member row that erasure blanks (accounts.privacy) and staff or the
# member could type in again.
ERASED_CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "birth_date")


def member_erased_contact_check(
    *, member: Member, values: dict, is_erased: bool | None = None
) -> None:
    """Refuses personal data for an erased member: it went for good (docs/privacy.md), and
    nobody may type it in again. Raises InvalidInput naming the first such field of `values`
    that is not empty; passes for a member never erased. One query, unless `is_erased` is
    given."""
    filled = [name for name in ERASED_CONTACT_FIELDS if values.get(name)]
    if not filled:
        return
    if is_erased is None:
        is_erased = Erasure.objects.filter(member_id=member.pk).exists()
    if is_erased:
        raise InvalidInput(
            _("This member was erased: their personal data cannot be entered again."),
            code="member_erased",
            field=filled[0],
        )


def member_update_contact(
    *,
    member: Member,
    email: str | None,
    phone: str | None,
    first_name: str,
    last_name: str,
    birth_date: datetime.date | None,
    language: str,
    preferred_channel: str | None = None,
) -> Member:
    """Saves a member's contact details and language, and the preferred channel when given
    (None leaves it; "" means no preference). Locks the member. An erased member's personal
    data stays empty (`member_erased_contact_check`)."""
    email = normalise_email(email)
    phone = normalise_phone(phone)
    _validate_birth_date(birth_date)
    if preferred_channel is not None and preferred_channel not in ("", *CONSENT_FIELDS):
        raise InvalidInput(
            _("Choose e-mail, SMS or WhatsApp."),
            code="invalid_channel",
            field="preferred_channel",
        )
    fields = ["email", "phone", "first_name", "last_name", "birth_date", "language", "updated_at"]
    personal = {
        "email": email,
        "phone": phone,
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "birth_date": birth_date,
    }
    # Before the transaction, as in member_enrol: a refusal leaves the caller's one usable.
    member_erased_contact_check(member=member, values=personal)
    _raise_if_contact_taken(email=email, phone=phone, exclude_pk=member.pk)
    with transaction.atomic(savepoint=False):
        member = (
            Member.objects.select_for_update()
            .annotate(is_erased=Exists(Erasure.objects.filter(member_id=OuterRef("pk"))))
            .get(pk=member.pk)
        )
        # Again under the lock: an erasure that committed meanwhile wins.
        member_erased_contact_check(member=member, values=personal, is_erased=member.is_erased)
        member.email, member.phone = email, phone
        member.first_name, member.last_name = first_name.strip(), last_name.strip()
        member.birth_date, member.language = birth_date, language
        if preferred_channel is not None:
            member.preferred_channel = preferred_channel
            fields.append("preferred_channel")
        member.save(update_fields=fields)
        webhooks.emit(
            "member.updated",
            {"card_number": member.card_number, "language": member.language},
            member_id=member.pk,
        )
    return member


def member_referral_code_ensure(*, member: Member) -> str:
    """The member's referral code, drawn now for a member who has none (enrolled before
    referral codes existed). Set once: the conditional update never replaces a code a
    concurrent request set first, and that one is returned. A collision with another member's
    code draws again."""
    if member.referral_code:
        return member.referral_code
    for _attempt in range(5):
        try:
            with transaction.atomic(savepoint=True):
                Member.objects.filter(pk=member.pk, referral_code__isnull=True).update(
                    referral_code=readable_code(REFERRAL_CODE_LENGTH)
                )
        except IntegrityError:
            continue
        member.refresh_from_db(fields=["referral_code"])
        return member.referral_code or ""
    raise RuntimeError("Could not find a free referral code after 5 attempts")
