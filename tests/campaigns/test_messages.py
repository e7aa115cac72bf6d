"""Sending: consent, preferred channel and fallback, once per delivery whatever retries."""

from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from campaigns import messaging
from campaigns.messaging import MemoryBackend, channel_for
from campaigns.models import Delivery, OutboundMessage
from campaigns.services import deliveries_fulfil, delivery_send
from campaigns.tasks import delivery_send_task
from tests.factories import AutomationFactory, MemberFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.mark.parametrize(
    ("member_kwargs", "requested", "expected"),
    [
        ({"email_consent_at": NOW}, "preferred", ("email", None)),
        (
            {
                "preferred_channel": "sms",
                "sms_consent_at": NOW,
                "email_consent_at": NOW,
                "phone": "+31612345678",
            },
            "preferred",
            ("sms", None),
        ),
        # preferred SMS without consent: fall back to e-mail
        (
            {"preferred_channel": "sms", "email_consent_at": NOW, "phone": "+31612345678"},
            "preferred",
            ("email", None),
        ),
        # consent for WhatsApp but no phone, e-mail consented: the next in line
        (
            {"preferred_channel": "whatsapp", "whatsapp_consent_at": NOW, "email_consent_at": NOW},
            "preferred",
            ("email", None),
        ),
        ({}, "preferred", (None, "no_consent")),
        ({"email": None, "email_consent_at": NOW}, "email", (None, "no_address")),
        ({"email_consent_at": NOW}, "sms", (None, "no_consent")),
        ({"email_consent_at": NOW}, "none", (None, "no_message")),
    ],
)
def test_the_channel_follows_consent_preference_and_fallback(member_kwargs, requested, expected):
    member = MemberFactory.build(**{"email": "x@example.com", "phone": None, **member_kwargs})
    assert channel_for(member, requested) == expected


def _pending_delivery(**member_kwargs) -> Delivery:
    automation = AutomationFactory(trigger="welcome", days=None)
    member = MemberFactory(email_consent_at=timezone.now(), **member_kwargs)
    delivery = Delivery.objects.create(automation=automation, member=member, period_key="welcome")
    deliveries_fulfil([delivery.pk])
    return delivery


def test_sms_goes_through_the_pluggable_backend():
    delivery = _pending_delivery(
        preferred_channel="sms", sms_consent_at=timezone.now(), phone="+31612345678"
    )
    assert delivery_send(delivery.pk) == "sent"
    [message] = MemoryBackend.outbox
    assert (message.channel, message.to, message.key) == (
        "sms",
        "+31612345678",
        f"delivery-{delivery.pk}",
    )
    assert Delivery.objects.get(pk=delivery.pk).issued_reward.display_code in message.body


def test_sending_twice_sends_once():
    delivery = _pending_delivery()
    assert delivery_send(delivery.pk) == "sent"
    assert delivery_send(delivery.pk) == "done"
    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.filter(delivery=delivery).count() == 1


def test_a_failed_send_is_retried_and_succeeds_once():
    delivery = _pending_delivery()
    real_send = messaging.DjangoEmailBackend.send
    calls = {"count": 0}

    def flaky(self, message):
        calls["count"] += 1
        if calls["count"] == 1:
            raise messaging.SendError("SMTP server not reachable")
        return real_send(self, message)

    with mock.patch.object(messaging.DjangoEmailBackend, "send", flaky):
        with pytest.raises(messaging.SendError):
            delivery_send(delivery.pk)
        failed = Delivery.objects.get(pk=delivery.pk)
        assert (failed.status, failed.attempts) == ("failed", 1)
        assert "not reachable" in failed.last_error
        assert delivery_send(delivery.pk) == "sent"
    sent = Delivery.objects.get(pk=delivery.pk)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_a_send_claimed_by_a_live_worker_is_not_sent_again():
    delivery = _pending_delivery()
    Delivery.objects.filter(pk=delivery.pk).update(status="sending", claimed_at=timezone.now())
    assert delivery_send(delivery.pk) == "in_progress"
    assert mail.outbox == []


def test_a_send_claimed_by_a_worker_that_died_is_taken_over():
    delivery = _pending_delivery()
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", claimed_at=timezone.now() - timezone.timedelta(hours=1)
    )
    assert delivery_send(delivery.pk) == "sent"
    assert len(mail.outbox) == 1


def test_a_poison_message_stops_after_the_last_attempt_and_shows_as_failed():
    delivery = _pending_delivery()
    with (
        mock.patch.object(
            messaging.DjangoEmailBackend, "send", side_effect=messaging.SendError("mailbox full")
        ),
        mock.patch.object(
            delivery_send_task, "retry", side_effect=AssertionError("no retry expected")
        ),
    ):
        # the last permitted attempt
        result = delivery_send_task.apply(
            args=[delivery.pk], retries=delivery_send_task.max_retries
        )
    assert result.get() == "gave_up"
    failed = Delivery.objects.get(pk=delivery.pk)
    assert failed.status == "failed"
    assert failed.last_error.startswith("gave up: mailbox full")


def test_failed_deliveries_can_be_sent_again_by_staff(client):
    from django.urls import reverse

    from accounts import roles
    from tests.factories import UserFactory

    delivery = _pending_delivery()
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", last_error="x")
    client.force_login(UserFactory(role=roles.MARKETING))
    response = client.get(reverse("admin:campaigns_delivery_changelist") + "?status__exact=failed")
    assert (
        delivery.member.card_number in response.content.decode()
        or str(delivery.member) in response.content.decode()
    )
    data = {"action": "resend", "_selected_action": [delivery.pk]}
    # the first post asks for a reason, and changes nothing
    response = client.post(reverse("admin:campaigns_delivery_changelist"), data)
    assert b'name="reason"' in response.content
    assert Delivery.objects.get(pk=delivery.pk).status == "failed"
    client.post(
        reverse("admin:campaigns_delivery_changelist"),
        {**data, "apply": "1", "reason": "Customer changed their e-mail address"},
    )
    # on_commit callbacks do not run in a test transaction: the delivery waits for its task
    assert Delivery.objects.get(pk=delivery.pk).status == "pending"
    assert delivery.member.staff_actions.get().reason == "Customer changed their e-mail address"


def test_a_chunk_sends_each_message_and_hands_a_failing_one_to_its_own_retries():
    from campaigns.tasks import deliveries_send_task

    good, bad = _pending_delivery(), _pending_delivery()
    real_send = messaging.DjangoEmailBackend.send

    def send(self, message):
        if message.to == bad.member.email:
            raise messaging.SendError("mailbox full")
        return real_send(self, message)

    with (
        mock.patch.object(messaging.DjangoEmailBackend, "send", send),
        mock.patch.object(delivery_send_task, "apply_async") as retry_alone,
    ):
        assert deliveries_send_task.apply(args=[[good.pk, bad.pk]]).get() == 1
    assert [message.to for message in mail.outbox] == [[good.member.email]]
    retry_alone.assert_called_once_with((bad.pk,), countdown=30)
    assert Delivery.objects.get(pk=bad.pk).status == "failed"
