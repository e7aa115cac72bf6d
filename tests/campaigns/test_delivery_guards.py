"""The guards of deliveries, each defended by a test that fails without it.

Locks are raced for real on PostgreSQL: the first thread pauses inside its critical section, so
without the lock the second one would read the same state and act on it too.
"""

import time

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns import messaging
from campaigns.models import Delivery, OutboundMessage
from campaigns.services import (
    DeliveryBusy,
    deliveries_fulfil,
    delivery_resend_by_staff,
    delivery_send,
)
from campaigns.services import deliveries as deliveries_module
from core import outbox
from loyalty_site import roles
from points.models import PointsEntry
from tests.concurrency import pause_first_call, run_in_parallel
from tests.factories import AutomationFactory, MemberFactory, UserFactory
from tests.markers import postgres_only


def _welcome_delivery(**automation_kwargs) -> Delivery:
    automation = AutomationFactory(
        trigger="welcome", days=None, channel="email", **automation_kwargs
    )
    member = MemberFactory(email_consent_at=timezone.now())
    return Delivery.objects.create(automation=automation, member=member, period_key="welcome")


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_fulfilling_one_delivery_give_its_bonus_once():
    # given a delivery with a bonus and no reward, fulfilled by two jobs at the same instant
    delivery = _welcome_delivery(reward=None, bonus_points=25)
    # when the first pauses after locking the delivery rows
    with pause_first_call(deliveries_module, "_fulfil_group"):
        results = run_in_parallel(lambda _i: deliveries_fulfil([delivery.pk], queue_sends=False), 2)
    # then one gave the bonus, the other found it given (the delivery row lock)
    assert sorted(len(result) for result in results) == [0, 1], results
    assert PointsEntry.objects.filter(account__member=delivery.member, kind="bonus").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_sending_one_delivery_send_it_once():
    delivery = _welcome_delivery(reward=None, bonus_points=5)
    deliveries_fulfil([delivery.pk], queue_sends=False)
    # when two workers send it at once, the first pausing while it renders (inside its lock)
    with pause_first_call(messaging, "render", 1.0):
        results = run_in_parallel(lambda _i: delivery_send(delivery.pk), 2)
    # then one sends; the other sees the lease and waits its turn (or, on a box so busy that it
    # started late, finds it sent): no error, no second message
    assert results.count("sent") == 1, results
    assert all(r == "sent" or r == "done" or isinstance(r, DeliveryBusy) for r in results), results
    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.filter(delivery=delivery).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_resending_while_a_worker_finishes_the_send_never_sends_twice():
    # given a failed delivery that a worker is just now completing (its retry succeeded)
    delivery = _welcome_delivery(reward=None, bonus_points=5)
    deliveries_fulfil([delivery.pk], queue_sends=False)
    Delivery.objects.filter(pk=delivery.pk).update(status="failed")
    staff = UserFactory(role=roles.MARKETING)

    def work(index):
        if index == 0:  # staff: reads the status, then pauses before writing it (row locked)
            return delivery_resend_by_staff(delivery=delivery, actor=staff, reason="Bounced")
        time.sleep(0.2)  # meanwhile the worker marks it sent
        return Delivery.objects.filter(pk=delivery.pk).update(status="sent")

    with pause_first_call(Delivery, "save", 0.8):
        results = run_in_parallel(work, 2)
    assert not any(isinstance(result, Exception) for result in results), results
    # then the worker's "sent" waited for staff and stands; the resend job finds it sent
    assert Delivery.objects.get(pk=delivery.pk).status == "sent"
    outbox.drain()
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_a_delivery_has_one_message_record_whatever_the_code_does():
    delivery = _welcome_delivery(reward=None)
    fields = {"channel": "email", "to": "x@example.com", "subject": "s", "body": "b"}
    OutboundMessage.objects.create(delivery=delivery, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundMessage.objects.create(delivery=delivery, **fields)


@pytest.mark.django_db
def test_a_member_gets_one_delivery_per_automation_and_period():
    delivery = _welcome_delivery(reward=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            automation=delivery.automation, member=delivery.member, period_key="welcome"
        )


@pytest.mark.django_db
def test_staff_cannot_resend_a_message_being_sent_right_now():
    from core.errors import Conflict

    delivery = _welcome_delivery(reward=None)
    Delivery.objects.filter(pk=delivery.pk).update(
        status="sending", lease_until=timezone.now() + timezone.timedelta(seconds=60)
    )
    with pytest.raises(Conflict) as refused:
        delivery_resend_by_staff(
            delivery=delivery, actor=UserFactory(role=roles.MARKETING), reason="Again"
        )
    assert refused.value.code == "being_sent"
