"""Messages to members: choosing the channel, rendering in their language, handing to a backend.

E-mail goes through Django's mail framework. SMS and WhatsApp go through a small backend
interface; the default backend writes to the log, and `LOYALTY_MESSAGE_BACKENDS` plugs in a
provider. Every message carries a key (`delivery-<id>`): backends pass it to the provider as
its idempotency key (e-mail: a Message-ID made from it), so a retried send is recognisable
downstream. SMTP has no idempotency: a send repeated after a crash arrives twice, with the same
Message-ID and text, which mail clients show as one message.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.branding import sender_address
from accounts.models import Branding, Member
from accounts.unsubscribe import unsubscribe_url
from core.links import site_url

from . import templating

logger = logging.getLogger("campaigns.messages")

CHANNEL_FALLBACK = getattr(settings, "LOYALTY_CHANNEL_FALLBACK", ["email", "whatsapp", "sms"])


class SendError(Exception):
    """A temporary failure: the send is retried."""


@dataclass(frozen=True)
class Message:
    channel: str
    to: str
    subject: str
    body: str
    html: str
    key: str
    is_test: bool = False  # a staff test: marked, and never a delivery
    sender: str = ""  # the e-mail's From (the shop's branding); empty = the server's default
    # Marketing only: the one-click unsubscribe link (footer, and the e-mail headers).
    unsubscribe_url: str = ""


def delivery_key(delivery_id: int) -> str:
    """The idempotency key of a delivery's message: the same on every try."""
    return f"delivery-{delivery_id}"


def channel_for(member: Member, requested: str) -> tuple[str | None, str | None]:
    """(channel, None) to send, or (None, skip reason). Consent first, then an address."""
    if requested == "none":
        return None, "no_message"
    candidates = (
        [member.preferred_channel, *[c for c in CHANNEL_FALLBACK if c != member.preferred_channel]]
        if requested == "preferred"
        else [requested]
    )
    candidates = [channel for channel in candidates if channel]
    consented = [channel for channel in candidates if getattr(member, f"{channel}_consent_at")]
    if not consented:
        return None, "no_consent"
    for channel in consented:
        address = member.email if channel == "email" else member.phone
        if address:
            return channel, None
    return None, "no_address"


def compose(automation, *, channel: str, language: str, values: dict[str, str]):
    """(subject, text, html) of the automation's message on `channel` in `language`: the
    marketer's template filled in, plus the legal footer of an e-mail; nothing else."""
    part = "body" if channel == "email" else channel
    text = templating.fill(templating.template_for(automation, part, language), values).strip()
    subject = templating.fill(templating.template_for(automation, "subject", language), values)
    context = {"text": text, "language": language}
    with translation.override(language):
        if channel == "email":
            body = render_to_string("campaigns/messages/email.txt", context).strip()
            html = render_to_string("campaigns/messages/email.html", context)
        else:
            body, html = render_to_string("campaigns/messages/short.txt", context).strip(), ""
    return subject.strip() if channel == "email" else "", body, html


def delivery_values(delivery) -> dict[str, str]:
    """The placeholders' values for a delivery: its code, reward, bonus and the member's."""
    issued = delivery.issued_reward
    return templating.values_for(
        member=delivery.member,
        language=member_language(delivery.member),
        reward=issued.reward if issued is not None else delivery.automation.reward,
        code=issued.display_code if issued is not None else "",
        expires_at=(issued.expires_at if issued is not None else None) or delivery.offer_expires_at,
        bonus_points=delivery.bonus_entry.points if delivery.bonus_entry else 0,
    )


def member_language(member: Member) -> str:
    return "en" if member.language == "en" else settings.LANGUAGE_CODE


def render(*, delivery, channel: str) -> Message:
    member = delivery.member
    subject, body, html = compose(
        delivery.automation,
        channel=channel,
        language=member_language(member),
        values=delivery_values(delivery),
    )
    with translation.override(member_language(member)):
        url = unsubscribe_url(member_id=member.pk, channel=channel)
        body, html = _with_unsubscribe_footer(body, html, url, channel)
    address = member.email if channel == "email" else member.phone
    return Message(
        channel,
        address,
        subject,
        body,
        html,
        key=delivery_key(delivery.pk),
        sender=sender_address(Branding.current()),
        unsubscribe_url=url,
    )


def satisfaction_message(invitation) -> Message:
    """The satisfaction question (CSAT) about one purchase, in the member's language, with a
    link to answer it on the portal and the unsubscribe footer. Its key is the same on every
    try (`satisfaction-<id>`)."""
    member, purchase, channel = invitation.member, invitation.purchase, invitation.channel
    language = member_language(member)
    with translation.override(language):
        day = formats.date_format(timezone.localtime(purchase.occurred_at), "SHORT_DATE_FORMAT")
        link = site_url(f"{reverse('portal:satisfaction')}?purchase={purchase.pk}&via={channel}")
        text = _(
            "Are you satisfied with your purchase of %(day)s at %(store)s? Give us a score "
            "from 1 to 10: %(link)s"
        ) % {"day": day, "store": purchase.store.name, "link": link}
        subject = _("Are you satisfied with your purchase?") if channel == "email" else ""
        url = unsubscribe_url(member_id=member.pk, channel=channel)
        body, html = _with_unsubscribe_footer(text, "", url, channel)
    return Message(
        channel,
        member.email if channel == "email" else member.phone,
        subject,
        body,
        html,
        key=f"satisfaction-{invitation.pk}",
        sender=sender_address(Branding.current()),
        unsubscribe_url=url,
    )


def _with_unsubscribe_footer(body: str, html: str, url: str, channel: str) -> tuple[str, str]:
    """Every marketing message ends with its one-click unsubscribe link, after the legal
    footer (Telecommunicatiewet art. 11.7: an easy opt-out in every commercial message)."""
    label = {
        "email": _("Unsubscribe from these e-mails:"),
        "sms": _("No more SMS? Reply STOP or go to"),
        "whatsapp": _("No more WhatsApp messages? Reply STOP or go to"),
    }[channel]
    body = f"{body.rstrip()}\n\n{label} {url}" if channel == "email" else f"{body} {label} {url}"
    if html:
        link = (
            f'<p style="font-size: .8rem; color: #6b7280">{escape(label)} '
            f'<a href="{escape(url)}">{escape(url)}</a></p>'
        )
        html = html.replace("</body>", f"{link}\n</body>") if "</body>" in html else html + link
    return body, html


class LogBackend:
    """Writes the message to the log: the default for SMS and WhatsApp until a provider is set."""

    def send(self, message: Message) -> str:
        logger.info("%s to %s [%s]: %s", message.channel, message.to, message.key, message.body)
        return f"log:{message.key}"


class MemoryBackend:
    """Keeps messages in memory, once per key (tests)."""

    outbox: list[Message] = []

    def send(self, message: Message) -> str:
        if all(sent.key != message.key for sent in self.outbox):
            self.outbox.append(message)
        return f"memory:{message.key}"


class DjangoEmailBackend:
    """E-mail through Django's mail framework (whatever EMAIL_BACKEND says)."""

    def send(self, message: Message) -> str:
        # The same Message-ID on every try (make_msgid would add time and randomness).
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "loyalty.local"
        message_id = f"<{message.key}@{domain}>"
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=message.sender or settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={
                "Message-ID": message_id,
                "X-Loyalty-Key": message.key,
                # RFC 2369 and RFC 8058: the mail client's own unsubscribe button, one POST.
                **(
                    {
                        "List-Unsubscribe": f"<{message.unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    }
                    if message.unsubscribe_url
                    else {}
                ),
                **({"X-Loyalty-Test": "yes"} if message.is_test else {}),
            },
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        try:
            email.send()
        except OSError as error:  # SMTP down, timeouts: worth a retry
            raise SendError(str(error)) from error
        return message_id


DEFAULT_BACKENDS = {
    "email": "campaigns.messaging.DjangoEmailBackend",
    "sms": "campaigns.messaging.LogBackend",
    "whatsapp": "campaigns.messaging.LogBackend",
}


def backend_for(channel: str):
    paths = {**DEFAULT_BACKENDS, **getattr(settings, "LOYALTY_MESSAGE_BACKENDS", {})}
    return import_string(paths[channel])()


# --- previews and tests: the automation's message for a sample member -------------------------

SAMPLE_CODE = "ABCD-EFGH-JKLM"


# The GSM 03.38 alphabet: an SMS in it holds 160 characters (153 per part when split), the
# extension characters count twice; any other character makes it Unicode: 70 (67 per part).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = set("^{}\\[~]|€")


def sms_parts(text: str) -> tuple[int, int]:
    """(characters as the network counts them, how many SMS messages the text takes)."""
    if all(character in GSM_BASIC or character in GSM_EXTENSION for character in text):
        length = sum(2 if character in GSM_EXTENSION else 1 for character in text)
        single, part = 160, 153
    else:
        length, single, part = len(text), 70, 67
    return length, 1 if length <= single else -(-length // part)


@dataclass(frozen=True)
class Preview:
    channel: str
    language: str
    subject: str
    body: str

    @property
    def sms_size(self) -> tuple[int, int] | None:
        return sms_parts(self.body) if self.channel == "sms" else None


def preview_channels(automation) -> list[str]:
    if automation.channel == "preferred":
        return ["email", "sms", "whatsapp"]
    return [] if automation.channel == "none" else [automation.channel]


def sample_values(automation, member: Member, language: str) -> dict[str, str]:
    """What a delivery to `member` would fill in, with a made-up code."""
    reward = automation.reward
    now = timezone.now()
    if reward is not None and reward.gives_code:
        expires_at = now + datetime.timedelta(
            days=automation.reward_validity_days or reward.validity_days
        )
    else:
        expires_at = now + datetime.timedelta(days=automation.conversion_days)
    account = getattr(member, "point_account", None) if member.pk else None
    return templating.values_for(
        member=member,
        language=language,
        reward=reward,
        code=SAMPLE_CODE if reward is not None and reward.gives_code else "",
        expires_at=expires_at,
        bonus_points=automation.bonus_points,
        points_balance=(account.balance if account is not None else 250) + automation.bonus_points,
    )


def previews(automation, member: Member) -> list[Preview]:
    """The message in both languages on every channel the automation may use."""
    result = []
    for language in ("nl", "en"):
        values = sample_values(automation, member, language)
        for channel in preview_channels(automation):
            subject, body, _html = compose(
                automation, channel=channel, language=language, values=values
            )
            result.append(Preview(channel, language, subject, body))
    return result
