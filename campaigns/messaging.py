"""Messages to members: choosing the channel, rendering in their language, handing to a backend.

E-mail goes through Django's mail framework. SMS and WhatsApp go through a small backend
interface; the default backend writes to the log, and `LOYALTY_MESSAGE_BACKENDS` plugs in a
provider. Every message carries a key (`delivery-<id>`): backends pass it to the provider as
its idempotency key (e-mail: a Message-ID made from it), so a retried send is recognisable
downstream. SMTP has no idempotency: a send repeated after a crash arrives twice, with the same
Message-ID and text, which mail clients show as one message.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts.models import Member
from accounts.unsubscribe import unsubscribe_url

logger = logging.getLogger("campaigns.messages")

CHANNEL_FALLBACK = getattr(settings, "LOYALTY_CHANNEL_FALLBACK", ["email", "whatsapp", "sms"])

DEFAULT_SUBJECTS = {
    "dormant": _("We miss you, %(name)s!"),
    "welcome": _("Welcome to our loyalty programme"),
    "first_purchase": _("Thank you for your first purchase"),
    "nth_purchase": _("Your stamp card is full!"),
    "birthday": _("Happy birthday, %(name)s!"),
    "tier_reached": _("You reached a new tier"),
    "points_expiring": _("Your points expire soon"),
    "referral": _("Thank you for bringing a friend"),
}
DEFAULT_INTROS = {
    "dormant": _(
        "It has been a while since your last visit. Here is something to welcome you back."
    ),
    "welcome": _("Nice to have you with us. Every purchase earns you points."),
    "first_purchase": _("Thank you for shopping with us. Here is a little extra for next time."),
    "nth_purchase": _("Thanks for coming back so often. This one is on us."),
    "birthday": _("We wish you a wonderful day, with a present from us."),
    "tier_reached": _("Congratulations: you reached a new tier and its benefits."),
    "points_expiring": _("Some of your points expire soon. Use them before they are gone."),
    "referral": _("A friend you invited made their first purchase. Thank you!"),
}


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


def render(*, delivery, channel: str) -> Message:
    member = delivery.member
    automation = delivery.automation
    with translation.override(member.language or settings.LANGUAGE_CODE):
        name = member.first_name or str(_("member"))
        subject = automation.subject(member.language) or str(
            DEFAULT_SUBJECTS[automation.trigger] % {"name": name}
        )
        context = {
            "member": member,
            "name": name,
            "intro": automation.body(member.language) or str(DEFAULT_INTROS[automation.trigger]),
            "issued": delivery.issued_reward,
            "reward": delivery.issued_reward.reward.translated("name")
            if delivery.issued_reward
            else "",
            "bonus_points": delivery.bonus_entry.points if delivery.bonus_entry else 0,
            "portal_url": getattr(settings, "LOYALTY_PORTAL_URL", ""),
        }
        if channel == "email":
            body = render_to_string("campaigns/messages/email.txt", context)
            html = render_to_string("campaigns/messages/email.html", context)
        else:
            body, html = render_to_string("campaigns/messages/short.txt", context).strip(), ""
        url = unsubscribe_url(member_id=member.pk, channel=channel)
        body, html = _with_unsubscribe_footer(body, html, url, channel)
    address = member.email if channel == "email" else member.phone
    return Message(
        channel, address, subject, body, html, key=delivery_key(delivery.pk), unsubscribe_url=url
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
            from_email=settings.DEFAULT_FROM_EMAIL,
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
