"""Escalation steps and satisfaction questions are leased while they are sent, as deliveries are
(docs/reliability.md, "Messages and crashes"): two workers never hand the same one to the
provider, and a worker that dies between its commit and the provider call loses nothing.

The races run for real on PostgreSQL: the first worker pauses just before the provider call,
after its transaction committed, so without the lease the second one would find the row still
pending and send it too. The provider here counts calls (the memory backend itself drops a
repeated key, like a provider with idempotency keys; SMTP does not)."""

import datetime
import threading
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.utils import timezone

from campaigns import messaging
from campaigns.models import Delivery, EscalationSend, EscalationStep, SatisfactionInvitation
from campaigns.services import automation_run, escalations_send, satisfaction_invitations_send
from campaigns.services.deliveries import SendsBusy
from core import outbox
from points.models import Purchase
from tests.concurrency import run_in_parallel
from tests.factories import AutomationFactory, MemberFactory, RewardFactory
from tests.helpers import buy
from tests.markers import postgres_only

from .helpers import bought_days_ago


@contextmanager
def provider(*, pause_first: float = 0.0, fail: bool = False):
    """Counts the messages handed to the provider (their keys); the first call can pause (in
    whichever thread makes it) or every call can fail."""
    keys: list[str] = []
    real = messaging.backend_for
    first = threading.Lock()

    class Counting:
        def __init__(self, channel):
            self.backend = real(channel)

        def send(self, message):
            if first.acquire(blocking=False):
                time.sleep(pause_first)
            if fail:
                raise messaging.SendError("provider down")
            keys.append(message.key)
            return self.backend.send(message)

    with mock.patch.object(messaging, "backend_for", Counting):
        yield keys


def _escalation(store) -> EscalationSend:
    """A sent first message and its first escalation step, pending (queued, not yet sent)."""
    automation = AutomationFactory(
        trigger="dormant",
        days=60,
        reward=RewardFactory(points_cost=0, fixed=True),
        conversion_days=30,
        message_sms_nl="Kom terug met code {code}",
    )
    step = EscalationStep.objects.create(automation=automation, position=1, after_days=5)
    now = timezone.now()
    member = MemberFactory(
        phone="+31612345678", email_consent_at=now, whatsapp_consent_at=now, sms_consent_at=now
    )
    bought_days_ago(member, store, 75)
    automation_run(automation)
    outbox.drain()  # the first message (a test database without commits runs no job itself)
    delivery = Delivery.objects.get(member=member)
    assert delivery.status == "sent"
    return EscalationSend.objects.create(
        delivery=delivery, step=step, position=1, channel="whatsapp"
    )


def _invitation(store) -> SatisfactionInvitation:
    member = MemberFactory(email_consent_at=timezone.now())
    buy(member, store, "20.00")
    return SatisfactionInvitation.objects.create(
        member=member, purchase=Purchase.objects.get(member=member), channel="email"
    )


def _send_escalation(send):
    return escalations_send([send.pk])


def _send_invitation(invitation):
    return satisfaction_invitations_send([invitation.pk])


CASES = [
    pytest.param(_escalation, _send_escalation, EscalationSend, id="escalation"),
    pytest.param(_invitation, _send_invitation, SatisfactionInvitation, id="satisfaction"),
]


@postgres_only
@pytest.mark.parametrize(("make", "send", "model"), CASES)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_sending_at_once_reach_the_provider_once(store, make, send, model):
    # given one pending message, sent by two workers at the same instant (beat twice, a retried
    # job, staff "run now"); the first pauses after its commit, just before the provider call
    row = make(store)
    with provider(pause_first=1.0) as keys:
        results = run_in_parallel(lambda _i: send(row), 2)
    # then one sent it; the other found it leased (its job looks again later) or already sent
    assert results.count(1) == 1, results
    assert all(r in (0, 1) or isinstance(r, SendsBusy) for r in results), results
    assert len(keys) == 1, keys
    row.refresh_from_db()
    assert (row.status, row.lease_until) == ("sent", None)


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "send", "model"), CASES)
def test_a_message_another_worker_is_sending_waits_for_its_lease(store, make, send, model):
    row = make(store)
    model.objects.filter(pk=row.pk).update(lease_until=timezone.now() + datetime.timedelta(60))
    with provider() as keys, pytest.raises(SendsBusy):
        send(row)
    assert keys == []
    assert model.objects.get(pk=row.pk).status == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "send", "model"), CASES)
def test_a_worker_killed_after_its_commit_loses_nothing(store, make, send, model):
    # given a worker leased the message and died before the provider call (its lease ran out)
    row = make(store)
    model.objects.filter(pk=row.pk).update(lease_until=timezone.now() - datetime.timedelta(1))
    # when the job is retried, it is sent, once, under its usual key
    with provider() as keys:
        assert send(row) == 1
        assert send(row) == 0
    assert len(keys) == 1
    assert keys[0] in (
        f"delivery-{getattr(row, 'delivery_id', 0)}-step-1",
        f"satisfaction-{row.pk}",
    )
    assert model.objects.get(pk=row.pk).status == "sent"


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "send", "model"), CASES)
def test_a_provider_error_gives_the_lease_back_so_the_retry_sends_at_once(store, make, send, model):
    row = make(store)
    with provider(fail=True), pytest.raises(messaging.SendError):
        send(row)
    row.refresh_from_db()
    assert (row.status, row.lease_until) == ("pending", None)
    with provider() as keys:
        assert send(row) == 1
    assert len(keys) == 1
