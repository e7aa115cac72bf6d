"""Opting out of marketing without signing in (Telecommunicatiewet art. 11.7, RFC 8058).

Every marketing message carries a link signed for its member and channel; following it (a
POST: the one-click of RFC 8058, or the button on the page it opens) withdraws that channel's
consent. SMS and WhatsApp replies saying STOP reach `consent_withdraw_by_reply` through the
provider's signed callback. Both are recorded in the consent trail with their source.
Sign-in links and other transactional messages carry no such link.
"""

import hashlib
import hmac
import re

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from core.links import site_url

from .models import CONSENT_FIELDS, ConsentChange, Member
from .normalise import normalise_phone
from .services import member_consent_set

_SALT = "accounts.unsubscribe"

# Replies that mean "no more messages" (upper case, punctuation and extra spaces removed).
STOP_WORDS = {
    "STOP",
    "STOP ALLES",
    "STOPPEN",
    "STOP ALL",
    "AFMELDEN",
    "UITSCHRIJVEN",
    "UNSUBSCRIBE",
    "GEEN BERICHTEN MEER",
    "END",
    "QUIT",
    "CANCEL",
}


class UnsubscribeLinkInvalid(InvalidInput):
    code = "unsubscribe_link_invalid"


def unsubscribe_token(*, member_id: int, channel: str) -> str:
    """A signed token for one member and channel; it never expires (old messages keep working)."""
    return signing.dumps([member_id, channel], salt=_SALT, compress=True)


def unsubscribe_url(*, member_id: int, channel: str) -> str:
    path = reverse(
        "portal:unsubscribe", args=[unsubscribe_token(member_id=member_id, channel=channel)]
    )
    return site_url(path)


def unsubscribe_target(token: str) -> tuple[Member, str]:
    """The member and channel a token is for; a forged, altered or stale one is refused."""
    try:
        member_id, channel = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise UnsubscribeLinkInvalid(_("This unsubscribe link is not valid.")) from error
    member = Member.objects.filter(pk=member_id).first()
    if member is None or channel not in CONSENT_FIELDS:
        raise UnsubscribeLinkInvalid(_("This unsubscribe link is not valid."))
    return member, channel


def consent_withdraw_by_link(*, token: str) -> tuple[Member, str]:
    """Withdraws the consent the link is for (a no-op if already withdrawn). Locks the member;
    records the change with source `unsubscribe_link`."""
    member, channel = unsubscribe_target(token)
    with transaction.atomic(durable=True):
        member = member_consent_set(
            member=member,
            channel=channel,
            is_granted=False,
            source=ConsentChange.Source.UNSUBSCRIBE_LINK,
        )
    return member, channel


def is_stop_reply(text: str) -> bool:
    words = re.sub(r"[^\w\s]", " ", text or "").upper().split()
    return " ".join(words) in STOP_WORDS or (bool(words) and words[0] == "STOP")


def inbound_signature_valid(*, body: bytes, signature: str) -> bool:
    """The provider's callback is signed with the shared secret (HMAC-SHA256 of the body)."""
    secret = settings.LOYALTY_INBOUND_SECRET
    if not secret:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", signature or "")


def consent_withdraw_by_reply(*, channel: str, sender: str, text: str) -> bool:
    """A reply on SMS or WhatsApp: STOP (and its variants) withdraws that channel's consent of
    the member with this number. Returns whether consent was withdrawn; anything else, or an
    unknown number, changes nothing."""
    if channel not in ("sms", "whatsapp"):
        raise InvalidInput(_("Choose SMS or WhatsApp."), code="invalid_channel", field="channel")
    try:
        phone = normalise_phone(sender)
    except InvalidInput as error:
        raise InvalidInput(error.message, code=error.code, field="sender") from error
    if not is_stop_reply(text):
        return False
    with transaction.atomic(durable=True):
        member = Member.objects.filter(phone=phone).first()
        if member is None or not getattr(member, CONSENT_FIELDS[channel]):
            return False
        member_consent_set(
            member=member,
            channel=channel,
            is_granted=False,
            source=ConsentChange.Source.STOP_REPLY,
            detail=f"{channel} reply from {phone}: {text.strip()[:100]}",
        )
    return True
