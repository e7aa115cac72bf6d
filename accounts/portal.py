"""Members on the portal: their sign-in user, one-time login links, closing an account."""

import datetime
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import outbox, ratelimit, webhooks
from core.errors import ApplicationError, Conflict, InvalidInput, TooManyAttempts

from .models import CONSENT_FIELDS, ClosureRequest, ConsentChange, LoginToken, Member
from .normalise import normalise_email
from .selectors import active_member_by_email
from .services import member_enrol, staff_action_record

LOGIN_LINK_VALIDITY = datetime.timedelta(minutes=20)
# One budget for every way a sign-in link is sent (the sign-in form, sign-up, asking again): per
# address, so nobody floods an inbox, and per client address, so nobody walks through addresses.
LINK_BUDGET_PER_EMAIL = 5
LINK_BUDGET_PER_CLIENT = 30
LINK_BUDGET_WINDOW_SECONDS = 15 * 60


class LoginLinkInvalid(ApplicationError):
    code = "login_link_invalid"


class TooManyLinkRequests(TooManyAttempts):
    code = "too_many_link_requests"
    default_message = gettext_lazy(
        "Too many sign-in links were asked for. Please try again in 15 minutes."
    )


def _hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def portal_user_for(member: Member) -> User:
    """The member's own user (no staff rights, no password until they set one)."""
    if member.user is not None:
        return member.user
    with transaction.atomic(savepoint=False):
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.user is not None:
            return member.user
        user = get_user_model()(username=f"member-{member.card_number}", email=member.email or "")
        user.set_unusable_password()
        user.save()
        member.user = user
        member.save(update_fields=["user", "updated_at"])
    return user


def login_link_create(*, member: Member) -> str:
    """Returns a fresh one-time token (its hash is stored); valid for 20 minutes."""
    raw_token = secrets.token_urlsafe(32)
    with transaction.atomic(savepoint=False):
        LoginToken.objects.create(
            member=member,
            token_hash=_hash(raw_token),
            expires_at=timezone.now() + LOGIN_LINK_VALIDITY,
        )
    return raw_token


def login_link_issue(*, member: Member, link_for: Callable[[str], str]) -> None:
    """A fresh sign-in link for the member, e-mailed after commit (through the outbox, so a
    broker that is down delays the e-mail and never loses it, nor fails the request)."""
    with transaction.atomic(savepoint=False):
        token = login_link_create(member=member)
        outbox.enqueue(
            "accounts.login_link_send",
            {"member": member.pk, "link": link_for(token)},
            key=f"login-link:{_hash(token)}",
        )


def login_link_budget_take(*, email: str, client: str) -> None:
    """Takes one sign-in link from the budgets of this address and this client, or raises
    TooManyLinkRequests when either is spent.

    Taken before anything is looked up or sent (an atomic count in the shared cache, so parallel
    requests cannot slip through together), and whether the address belongs to a member or not:
    the refusal tells nothing about the address. Refused requests count too, so a client that
    keeps trying stays refused until the window ends.
    """
    spent = [
        ratelimit.count_attempt(scope, identity, window_seconds=LINK_BUDGET_WINDOW_SECONDS) > limit
        for scope, identity, limit in (
            ("link-email", email, LINK_BUDGET_PER_EMAIL),  # counted case-insensitively
            ("link-ip", client, LINK_BUDGET_PER_CLIENT),
        )
    ]
    if any(spent):
        raise TooManyLinkRequests()


def login_link_request(*, email: str, client: str, link_for: Callable[[str], str]) -> Member | None:
    """A sign-in link for the active member with this address; nothing for an unknown or blocked
    one (the caller answers the same either way). Returns the member the link is for, or None.
    Raises TooManyLinkRequests when the address or the client has used up its budget."""
    login_link_budget_take(email=email, client=client)
    member = Member.objects.filter(email=email.strip().lower(), status=Member.Status.ACTIVE).first()
    if member is None:
        return None
    login_link_issue(member=member, link_for=link_for)
    return member


@dataclass(frozen=True)
class SignUp:
    """Who the sign-in link went to (None: nobody), and whether the sign-up enrolled them."""

    member: Member | None
    is_new: bool = False


def member_sign_up(
    *,
    email: str,
    first_name: str,
    last_name: str = "",
    birth_date: datetime.date | None = None,
    language: str = "nl",
    consent_email: bool = False,
    referral_code: str | None = None,
    client: str,
    link_for: Callable[[str], str],
) -> SignUp:
    """The portal's sign-up: enrol, or send a sign-in link.

    A new address is enrolled (consent and referral recorded as given) and gets a sign-in link;
    the address of an active member gets a sign-in link instead, so the answer never tells who is
    a member; a blocked member's address gets nothing. One transaction: the enrolment and the
    link's e-mail job (outbox) commit together, and a refused enrolment (an unknown referral
    code, say) queues nothing. Says who the link is for and whether they are new (the portal
    welcomes a new member with their card number, and answers as "link sent" otherwise).

    Every sign-up takes a link from the same budget as the sign-in form (whatever the address),
    before anything is enrolled: TooManyLinkRequests when it is spent.
    """
    email = normalise_email(email) or ""  # the form requires one
    login_link_budget_take(email=email, client=client)
    with transaction.atomic(durable=True):
        existing = Member.objects.filter(email=email).first()
        if existing is None:
            member = member_enrol(
                email=email,
                first_name=first_name,
                last_name=last_name,
                birth_date=birth_date,
                language=language,
                consents={"email": consent_email},
                source=ConsentChange.Source.PORTAL,
                referral_code=referral_code or None,
            )
        elif existing.is_active:
            member = existing
        else:
            return SignUp(member=None)
        login_link_issue(member=member, link_for=link_for)
    return SignUp(member=member, is_new=existing is None)


def member_password_check(*, email: str, password: str) -> Member | None:
    """The active member with this address and password, or None.

    The same cost whatever the address: an unknown address, a blocked member or one without a
    password still hashes the password once, so the time taken does not tell which addresses
    belong to members with a password.
    """
    member = active_member_by_email(email)
    user = member.user if member is not None else None
    if user is None or not user.is_active or not user.has_usable_password():
        make_password(password)  # as slow as a real check; the result is not used
        return None
    return member if user.check_password(password) else None


def login_link_send(*, member_id: int, link: str) -> None:
    """E-mails a sign-in link (what the outbox job does). OSError (SMTP down) is retried."""
    member = Member.objects.filter(pk=member_id).first()
    if member is None or not member.email:
        return
    with translation.override(member.language or settings.LANGUAGE_CODE):
        context = {"member": member, "link": link}
        email = EmailMultiAlternatives(
            subject=_("Your sign-in link"),
            body=render_to_string("accounts/email/login_link.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[member.email],
        )
        email.attach_alternative(
            render_to_string("accounts/email/login_link.html", context), "text/html"
        )
    email.send()


def login_link_peek(raw_token: str) -> Member | None:
    """The member a link is for, if it is still usable (without using it)."""
    token = (
        LoginToken.objects.select_related("member")
        .filter(token_hash=_hash(raw_token), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return token.member if token and token.member.is_active else None


def login_link_consume(raw_token: str) -> Member:
    """Uses a link once: a second use, an expired or unknown link is refused."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        token = (
            LoginToken.objects.select_for_update()
            .select_related("member")
            .filter(token_hash=_hash(raw_token))
            .first()
        )
        if token is None or token.used_at is not None or token.expires_at <= now:
            raise LoginLinkInvalid(_("This sign-in link is no longer valid. Ask for a new one."))
        if not token.member.is_active:
            raise LoginLinkInvalid(_("This account cannot sign in. Please contact the shop."))
        token.used_at = now
        token.save(update_fields=["used_at"])
        # Other links sent before stop working once the member is in.
        LoginToken.objects.filter(member=token.member, used_at__isnull=True).update(used_at=now)
    return token.member


def closure_request_create(*, member: Member, reason: str = "") -> ClosureRequest:
    try:
        with transaction.atomic(savepoint=True):
            return ClosureRequest.objects.create(member=member, reason=reason.strip()[:2000])
    except IntegrityError as error:
        raise Conflict(
            _("Your request to close your account is already being handled."),
            code="closure_already_requested",
        ) from error


def member_close(*, member: Member, actor: User, reason: str) -> Member:
    """Closes an account: personal data removed, consents withdrawn, sign-in disabled.

    The card number, ledger and purchases stay (bookkeeping), no longer tied to a person.
    Open closure requests are marked handled. Audited.
    """
    if not (reason or "").strip():
        raise InvalidInput(_("A reason is required."), code="reason_required", field="reason")
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        member = Member.objects.select_for_update().get(pk=member.pk)
        before = {"status": member.status, "email": bool(member.email), "phone": bool(member.phone)}
        withdrawn = [channel for channel, field in CONSENT_FIELDS.items() if getattr(member, field)]
        member.email = member.phone = member.birth_date = None
        member.first_name = member.last_name = ""
        for field in CONSENT_FIELDS.values():
            setattr(member, field, None)
        member.status = Member.Status.BLOCKED
        member.save()
        ConsentChange.objects.bulk_create(
            ConsentChange(member=member, channel=channel, is_granted=False, source="staff")
            for channel in withdrawn
        )
        if member.user is not None:
            member.user.is_active = False
            member.user.set_unusable_password()
            member.user.save(update_fields=["is_active", "password"])
        ClosureRequest.objects.filter(member=member, handled_at__isnull=True).update(handled_at=now)
        staff_action_record(
            actor=actor,
            action="close_account",
            member=member,
            reason=reason.strip(),
            before=before,
            after={"status": member.status, "anonymised": True},
        )
        webhooks.emit("member.erased", {"card_number": member.card_number}, member_id=member.pk)
    return member
