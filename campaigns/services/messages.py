"""Test messages: staff send an automation's message to themselves before members get it.

A test goes the way every message goes (an outbox job, then the channel's backend), to the staff
user's own e-mail address, marked as a test in its subject and headers. It creates no delivery
and no recorded message, so it counts in no statistic; the audit trail records who sent it.
"""

import uuid

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.services import staff_action_record
from core import outbox
from core.errors import InvalidInput

from .. import messaging
from ..models import Automation
from .dry_run import first_recipient, sample_member

JOB_TEST_MESSAGE = "campaigns.test_message"  # handler in campaigns/jobs.py


def automation_test_queue(*, automation: Automation, actor: User, language: str) -> str:
    """Queues a test of the automation's message in `language` to the actor's e-mail address;
    returns the address. Writes one outbox job and one audit row, in one transaction."""
    if language not in ("nl", "en"):
        raise InvalidInput(_("Choose Dutch or English."), code="invalid_language", field="language")
    if automation.channel == "none":
        raise InvalidInput(
            _("This automation sends no message; choose a channel first."),
            code="no_message",
            field="channel",
        )
    if not actor.email:
        raise InvalidInput(
            _("Your account has no e-mail address to send the test to. Add it to your user."),
            code="no_email",
            field="email",
        )
    key = f"test-{uuid.uuid4().hex}"
    with transaction.atomic(durable=True):
        outbox.enqueue(
            JOB_TEST_MESSAGE,
            {"automation": automation.pk, "user": actor.pk, "language": language, "key": key},
            key=key,
        )
        staff_action_record(
            actor=actor,
            action="send_test_message",
            after={"automation": automation.pk, "language": language, "to": actor.email},
        )
    return actor.email


def automation_test_send(*, automation_id: int, user_id: int, language: str, key: str) -> str:
    """What the test job does: render for the sample member and send to the staff user. An SMS
    or WhatsApp automation's text comes by e-mail, with the channel in the subject."""
    automation = Automation.objects.select_related("reward").get(pk=automation_id)
    user = User.objects.get(pk=user_id)
    member = sample_member(first_recipient(automation))
    channel = automation.channel if automation.channel in ("sms", "whatsapp") else "email"
    subject, body, html = messaging.compose(
        automation,
        channel=channel,
        language=language,
        values=messaging.sample_values(automation, member, language),
    )
    if channel != "email":
        subject = f"{automation.name} ({channel.upper() if channel == 'sms' else 'WhatsApp'})"
    message = messaging.Message(
        channel="email",
        to=user.email,
        subject=f"[TEST] {subject}",
        body=body,
        html=html,
        key=key,
        is_test=True,
    )
    return messaging.backend_for("email").send(message)
