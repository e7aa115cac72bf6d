"""Escalation across channels: the same offer again on the next consented channel (e-mail →
WhatsApp → SMS) when it has not worked after N days; each step once per delivery."""

import datetime
from unittest import mock

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from campaigns.messaging import MemoryBackend
from campaigns.models import Delivery, EscalationSend, EscalationStep
from campaigns.services import (
    automation_run,
    automations_run_due,
    escalation_response,
    escalations_queue_due,
    escalations_send,
)
from loyalty_site import roles
from tests.factories import AutomationFactory, MemberFactory, RewardFactory
from tests.helpers import buy
from tests.staff.helpers import login

from .helpers import bought_days_ago
from .test_message_templates import _form_data

pytestmark = pytest.mark.django_db


def later(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


@pytest.fixture
def offer(db):
    automation = AutomationFactory(
        name="Reactivation",
        trigger="dormant",
        days=60,
        reward=RewardFactory(points_cost=0, fixed=True),
        conversion_days=30,
        message_sms_nl="Kom terug met code {code}",
    )
    EscalationStep.objects.create(automation=automation, position=1, after_days=5)
    EscalationStep.objects.create(automation=automation, position=2, after_days=10)
    return automation


def everywhere(name="Dora", **kwargs):
    """Consent on all three channels, with an address for each."""
    now = timezone.now()
    return MemberFactory(
        first_name=name,
        phone=kwargs.pop("phone", "+31612345678"),
        email_consent_at=now,
        whatsapp_consent_at=now,
        sms_consent_at=now,
        **kwargs,
    )


def first_message(offer, member, store, capture):
    bought_days_ago(member, store, 75)
    with capture(execute=True):
        automation_run(offer)
    delivery = Delivery.objects.get(member=member)
    assert (delivery.status, delivery.channel) == ("sent", "email")
    return delivery


def escalate(capture, *, at):
    with capture(execute=True):
        return escalations_queue_due(now=at)


def test_the_offer_goes_again_on_whatsapp_then_sms(
    offer, store, django_capture_on_commit_callbacks
):
    member = everywhere()
    delivery = first_message(offer, member, store, django_capture_on_commit_callbacks)
    # when: too early, then after 5 days, then after 10
    assert escalate(django_capture_on_commit_callbacks, at=later(4)) == 0
    assert escalate(django_capture_on_commit_callbacks, at=later(5.1)) == 1
    assert escalate(django_capture_on_commit_callbacks, at=later(10.1)) == 1
    # then
    sends = list(EscalationSend.objects.filter(delivery=delivery).order_by("position"))
    assert [(send.position, send.channel, send.status) for send in sends] == [
        (1, "whatsapp", "sent"),
        (2, "sms", "sent"),
    ]
    assert [message.channel for message in MemoryBackend.outbox] == ["whatsapp", "sms"]
    assert [message.key for message in MemoryBackend.outbox] == [
        f"delivery-{delivery.pk}-step-1",
        f"delivery-{delivery.pk}-step-2",
    ]
    code = delivery.issued_reward.display_code
    assert all(code in message.body for message in MemoryBackend.outbox)
    assert len(mail.outbox) == 1  # the e-mail was the first message only


def test_a_step_is_sent_once_however_often_the_beat_runs(
    offer, store, django_capture_on_commit_callbacks
):
    member = everywhere()
    first_message(offer, member, store, django_capture_on_commit_callbacks)
    for _ in range(3):
        escalate(django_capture_on_commit_callbacks, at=later(6))
    assert EscalationSend.objects.count() == 1
    assert len(MemoryBackend.outbox) == 1


def test_the_database_refuses_a_second_send_of_the_same_step(
    offer, store, django_capture_on_commit_callbacks
):
    """The guard (docs/architecture.md): unique (delivery, step). Fails when it is removed."""
    member = everywhere()
    delivery = first_message(offer, member, store, django_capture_on_commit_callbacks)
    step = offer.escalation_steps.get(position=1)
    EscalationSend.objects.create(delivery=delivery, step=step, position=1, channel="whatsapp")
    with pytest.raises(IntegrityError), transaction.atomic():
        EscalationSend.objects.create(delivery=delivery, step=step, position=1, channel="sms")


def test_a_run_racing_another_inserts_nothing_twice(
    offer, store, django_capture_on_commit_callbacks
):
    """Two beats that both found the step due: the second one's insert is ignored."""
    member = everywhere()
    delivery = first_message(offer, member, store, django_capture_on_commit_callbacks)
    step = offer.escalation_steps.get(position=1)
    original = EscalationSend.objects.bulk_create

    def other_beat_first(sends, **kwargs):
        EscalationSend.objects.create(
            delivery=delivery, step=step, position=1, channel="whatsapp", status="sent"
        )
        return original(sends, **kwargs)

    with mock.patch.object(EscalationSend.objects, "bulk_create", side_effect=other_beat_first):
        queued = escalate(django_capture_on_commit_callbacks, at=later(6))
    assert queued == 0
    assert EscalationSend.objects.count() == 1
    assert MemoryBackend.outbox == []


def test_escalation_stops_when_the_member_bought(offer, store, django_capture_on_commit_callbacks):
    member = everywhere()
    delivery = first_message(offer, member, store, django_capture_on_commit_callbacks)
    buy(member, store, "30.00")
    delivery.refresh_from_db()
    assert delivery.converted_at is not None
    assert escalate(django_capture_on_commit_callbacks, at=later(6)) == 0
    assert escalate(django_capture_on_commit_callbacks, at=later(11)) == 0
    assert not EscalationSend.objects.exists()
    assert MemoryBackend.outbox == []


def test_escalation_on_an_unused_code_stops_once_the_code_is_used(
    offer, store, django_capture_on_commit_callbacks
):
    offer.escalation_steps.update(condition=EscalationStep.Condition.CODE_UNUSED)
    member, buyer = everywhere(), everywhere("Bert", phone="+31612345679")
    delivery = first_message(offer, member, store, django_capture_on_commit_callbacks)
    other = first_message(offer, buyer, store, django_capture_on_commit_callbacks)
    # the buyer used the code; the member bought too, but without the code
    buy(buyer, store, "30.00", codes=[other.issued_reward.code])
    buy(member, store, "30.00")
    escalate(django_capture_on_commit_callbacks, at=later(6))
    assert list(EscalationSend.objects.values_list("delivery", flat=True)) == [delivery.pk]


def test_a_response_between_queueing_and_sending_skips_the_message(
    offer, store, django_capture_on_commit_callbacks
):
    member = everywhere()
    delivery = first_message(offer, member, store, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):  # queued, not yet sent
        escalations_queue_due(now=later(6))
    buy(member, store, "30.00")
    escalations_send(list(EscalationSend.objects.values_list("pk", flat=True)))
    send = EscalationSend.objects.get(delivery=delivery)
    assert (send.status, send.skip_reason) == ("skipped", "responded")
    assert MemoryBackend.outbox == []


def test_only_consented_channels_are_used(offer, store, django_capture_on_commit_callbacks):
    # no WhatsApp consent: the next channel after e-mail is SMS
    member = MemberFactory(
        phone="+31612345670", email_consent_at=timezone.now(), sms_consent_at=timezone.now()
    )
    delivery = first_message(offer, member, store, django_capture_on_commit_callbacks)
    escalate(django_capture_on_commit_callbacks, at=later(6))
    escalate(django_capture_on_commit_callbacks, at=later(11))
    sends = EscalationSend.objects.filter(delivery=delivery).order_by("position")
    assert [(send.channel, send.status, send.skip_reason) for send in sends] == [
        ("sms", "sent", ""),
        ("", "skipped", "no_channel"),  # nothing after SMS: step 2 has nowhere to go
    ]
    assert [message.channel for message in MemoryBackend.outbox] == ["sms"]


def test_consent_withdrawn_before_sending_skips_the_step(
    offer, store, django_capture_on_commit_callbacks
):
    member = everywhere()
    delivery = first_message(offer, member, store, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        escalations_queue_due(now=later(6))
    type(member).objects.filter(pk=member.pk).update(whatsapp_consent_at=None)
    escalations_send(list(EscalationSend.objects.values_list("pk", flat=True)))
    send = EscalationSend.objects.get(delivery=delivery)
    assert (send.status, send.skip_reason) == ("skipped", "no_channel")
    assert MemoryBackend.outbox == []


def test_no_step_after_the_offer_expired(offer, store, django_capture_on_commit_callbacks):
    member = everywhere()
    first_message(offer, member, store, django_capture_on_commit_callbacks)
    assert escalate(django_capture_on_commit_callbacks, at=later(31)) == 0
    assert not EscalationSend.objects.exists()


def test_a_paused_automation_does_not_escalate(offer, store, django_capture_on_commit_callbacks):
    member = everywhere()
    first_message(offer, member, store, django_capture_on_commit_callbacks)
    offer.is_active = False
    offer.save()
    assert escalate(django_capture_on_commit_callbacks, at=later(6)) == 0


def test_the_hourly_beat_escalates(offer, store, django_capture_on_commit_callbacks):
    member = everywhere()
    first_message(offer, member, store, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        automations_run_due(now=later(6))
    assert EscalationSend.objects.get().status == "sent"


def test_response_per_channel_and_step_credits_the_last_message(
    offer, store, django_capture_on_commit_callbacks
):
    early, late, never = (
        everywhere("Early", phone="+31610000001"),
        everywhere("Late", phone="+31610000002"),
        everywhere("Never", phone="+31610000003"),
    )
    for member in (early, late, never):
        bought_days_ago(member, store, 75)
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(offer)
    # the e-mails went out six days ago
    Delivery.objects.update(sent_at=later(-6), created_at=later(-6))
    buy(early, store, "25.00")  # responded to the e-mail
    escalate(django_capture_on_commit_callbacks, at=later(0))  # WhatsApp to late and never
    buy(late, store, "25.00")  # responded to WhatsApp
    rows = {(row.position, row.channel): row for row in escalation_response(offer)}
    assert (rows[0, "email"].sent, rows[0, "email"].responded) == (3, 1)
    assert (rows[1, "whatsapp"].sent, rows[1, "whatsapp"].responded) == (2, 1)
    assert str(rows[1, "whatsapp"].rate) == "50.0"
    assert str(rows[0, "email"].rate) == "33.3"


def test_the_automation_page_shows_the_steps_and_the_response(
    admin_client, offer, store, django_capture_on_commit_callbacks
):
    member = everywhere()
    first_message(offer, member, store, django_capture_on_commit_callbacks)
    page = admin_client.get(f"/admin/campaigns/automation/{offer.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "escalation_steps-0-after_days" in body
    assert 'id="automation-response"' in body


def _steps(*steps) -> dict:
    data = {
        "escalation_steps-TOTAL_FORMS": str(len(steps)),
        "escalation_steps-INITIAL_FORMS": "0",
        "escalation_steps-MIN_NUM_FORMS": "0",
        "escalation_steps-MAX_NUM_FORMS": "1000",
    }
    for index, (position, after_days, condition) in enumerate(steps):
        data |= {
            f"escalation_steps-{index}-position": position,
            f"escalation_steps-{index}-after_days": after_days,
            f"escalation_steps-{index}-condition": condition,
        }
    return data


@pytest.mark.parametrize(
    "steps",
    [
        [("1", "7", "no_purchase"), ("2", "5", "no_purchase")],  # the later step comes sooner
        [("1", "0", "no_purchase")],  # after 0 days
        [("1", "7", "no_purchase"), ("1", "9", "code_unused")],  # the same step twice
        [("1", "7", "whenever")],  # no such condition
        [("zero", "7", "no_purchase")],
    ],
)
def test_bad_escalation_steps_are_form_errors_and_nothing_is_saved(client, steps):
    login(client, roles.MARKETING)
    response = client.post(
        reverse("admin:campaigns_automation_add"), {**_form_data(), **_steps(*steps)}
    )
    assert response.status_code == 200
    (escalation,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "escalation_steps"
    ]
    assert escalation.total_error_count()
    assert not EscalationStep.objects.exists()


def test_good_escalation_steps_are_saved(client):
    login(client, roles.MARKETING)
    response = client.post(
        reverse("admin:campaigns_automation_add"),
        {**_form_data(), **_steps(("1", "7", "code_unused"), ("2", "14", "no_purchase"))},
    )
    assert response.status_code == 302
    assert list(EscalationStep.objects.values_list("position", "after_days", "condition")) == [
        (1, 7, "code_unused"),
        (2, 14, "no_purchase"),
    ]
