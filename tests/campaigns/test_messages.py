"""Sending: consent, preferred channel and fallback, once per delivery whatever retries."""

from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from campaigns import messaging
from campaigns.messaging import MemoryBackend, channel_for
from campaigns.models import Delivery, OutboundMessage
from campaigns.services import DeliveryBusy, deliveries_fulfil, deliveries_send_chunk, delivery_send
from core import outbox
from core.models import OutboxJob
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


def test_a_send_leased_by_a_live_worker_is_not_sent_again_but_tried_later():
    delivery = _pending_delivery()
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", lease_until=timezone.now() + timezone.timedelta(seconds=60)
    )
    with pytest.raises(DeliveryBusy):
        delivery_send(delivery.pk)
    assert mail.outbox == []


def test_a_send_whose_worker_died_is_retried_with_the_same_message_once_the_lease_ran_out():
    # given a worker that recorded the message and was killed while handing it to SMTP
    delivery = _pending_delivery(first_name="Sara")
    with mock.patch.object(messaging.DjangoEmailBackend, "send", side_effect=KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            delivery_send(delivery.pk)
    stuck = Delivery.objects.get(pk=delivery.pk)
    assert stuck.status == "sending"
    recorded = OutboundMessage.objects.get(delivery=delivery)
    # when its lease has run out
    Delivery.objects.filter(pk=delivery.pk).update(
        lease_until=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert delivery_send(delivery.pk) == "sent"
    # then the same recorded message goes out under the same Message-ID, and is recorded once
    [email] = mail.outbox
    assert email.body == recorded.body
    assert email.extra_headers["Message-ID"] == f"<delivery-{delivery.pk}@example.com>"
    assert OutboundMessage.objects.filter(delivery=delivery).count() == 1
    assert (
        Delivery.objects.get(pk=delivery.pk).provider_reference == email.extra_headers["Message-ID"]
    )


def _run_job(job: OutboxJob) -> str:
    """Runs a job now, as a worker would once its backoff has passed."""
    OutboxJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    return outbox.run(job.pk)


def test_a_poison_message_stops_after_the_last_attempt_and_shows_as_failed():
    delivery = _pending_delivery()
    job = OutboxJob.objects.create(
        kind="campaigns.delivery", dedup_key="t", payload={"delivery": delivery.pk}
    )
    with mock.patch.object(
        messaging.DjangoEmailBackend, "send", side_effect=messaging.SendError("mailbox full")
    ):
        outcomes = [_run_job(job) for _attempt in range(6)]
    assert outcomes == ["retry", "retry", "retry", "retry", "failed", "busy"]
    failed = Delivery.objects.get(pk=delivery.pk)
    assert failed.status == "failed"
    assert failed.last_error.startswith("gave up: SendError: mailbox full")
    assert OutboxJob.objects.get(pk=job.pk).state == "failed"


def test_failed_deliveries_can_be_sent_again_by_staff(client):
    from django.urls import reverse

    from loyalty_site import roles
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
    assert Delivery.objects.get(pk=delivery.pk).status == "pending"
    action = delivery.member.staff_actions.get()
    assert action.reason == "Customer changed their e-mail address"
    # the resend is a job of its own in the outbox, written with the audit row
    job = OutboxJob.objects.get(dedup_key=f"delivery:{delivery.pk}:staff:{action.pk}")
    assert outbox.run(job.pk) == "done"
    assert Delivery.objects.get(pk=delivery.pk).status == "sent"
    assert len(mail.outbox) == 1


def test_staff_send_again_also_gives_a_bonus_that_was_never_credited(client):
    from django.urls import reverse

    from loyalty_site import roles
    from tests.factories import UserFactory

    # given a welcome delivery whose job never ran (the broker was down, the old way)
    automation = AutomationFactory(trigger="welcome", days=None, reward=None, bonus_points=25)
    member = MemberFactory(email_consent_at=timezone.now())
    delivery = Delivery.objects.create(automation=automation, member=member, period_key="welcome")
    client.force_login(UserFactory(role=roles.MARKETING))
    # when staff send it again
    client.post(
        reverse("admin:campaigns_delivery_changelist"),
        {"action": "resend", "_selected_action": [delivery.pk], "apply": "1", "reason": "Lost"},
    )
    outbox.drain()
    # then the bonus is credited, the message sent, and neither twice when done again
    done = Delivery.objects.select_related("bonus_entry").get(pk=delivery.pk)
    assert (done.status, done.bonus_entry.points) == ("sent", 25)
    assert member.point_account.entries.filter(kind="bonus").count() == 1
    assert len(mail.outbox) == 1


def test_a_chunk_sends_each_message_and_hands_a_failing_one_to_its_own_job():
    good, bad = _pending_delivery(), _pending_delivery()
    real_send = messaging.DjangoEmailBackend.send

    def send(self, message):
        if message.to == bad.member.email:
            raise messaging.SendError("mailbox full")
        return real_send(self, message)

    with mock.patch.object(messaging.DjangoEmailBackend, "send", send):
        assert deliveries_send_chunk([good.pk, bad.pk]) == 1
    assert [message.to for message in mail.outbox] == [[good.member.email]]
    assert Delivery.objects.get(pk=bad.pk).status == "failed"
    retry = OutboxJob.objects.get(dedup_key=f"delivery:{bad.pk}:retry")
    assert (retry.kind, retry.payload) == ("campaigns.delivery", {"delivery": bad.pk})


def test_a_retry_sends_nothing_once_the_member_has_withdrawn_consent():
    from accounts.services import member_consent_set

    # given a send that failed (SMTP down) after its message was recorded
    delivery = _pending_delivery()
    with mock.patch.object(
        messaging.DjangoEmailBackend, "send", side_effect=messaging.SendError("SMTP down")
    ):
        with pytest.raises(messaging.SendError):
            delivery_send(delivery.pk)
    # when the member withdraws consent before the retry
    member_consent_set(member=delivery.member, channel="email", is_granted=False, source="portal")
    # then the retry sends nothing: the recorded message needs consent as much as a new one
    assert delivery_send(delivery.pk) == "skipped"
    assert mail.outbox == []
    skipped = Delivery.objects.get(pk=delivery.pk)
    assert (skipped.status, skipped.skip_reason) == ("skipped", "no_consent")


def test_a_chunk_hands_a_message_that_cannot_be_rendered_to_its_own_job():
    good, bad = _pending_delivery(), _pending_delivery()
    real_render = messaging.render

    def render(*, delivery, channel):
        if delivery.pk == bad.pk:
            raise KeyError("a template variable is missing")
        return real_render(delivery=delivery, channel=channel)

    with mock.patch.object(messaging, "render", render):
        assert deliveries_send_chunk([bad.pk, good.pk]) == 1
    assert [message.to for message in mail.outbox] == [[good.member.email]]
    assert OutboxJob.objects.filter(dedup_key=f"delivery:{bad.pk}:retry").exists()
