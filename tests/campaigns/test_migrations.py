"""Data migrations of the campaigns app: nothing left unfinished by the old tasks is stranded."""

import importlib

import pytest
from django.apps import apps

from campaigns.models import Delivery
from core.models import OutboxJob
from tests.factories import AutomationFactory, MemberFactory

pytestmark = pytest.mark.django_db

upgrade = importlib.import_module("campaigns.migrations.0005_delivery_lease")


def test_the_upgrade_queues_every_delivery_the_old_tasks_would_still_have_tried():
    # given deliveries as the old after-commit tasks left them: waiting, being sent, failed
    # with a Celery retry still due (a task name the new workers no longer know), and given up
    automation = AutomationFactory(trigger="welcome", days=None)

    def delivery(status: str, last_error: str = "") -> Delivery:
        return Delivery.objects.create(
            automation=automation,
            member=MemberFactory(),
            period_key="welcome",
            status=status,
            last_error=last_error,
        )

    waiting, sending = delivery("pending"), delivery("sending")
    retry_due = delivery("failed", "SMTP server not reachable")
    delivery("failed", "gave up: SMTP server not reachable")
    delivery("sent")
    # when the migration runs
    upgrade.queue_unfinished_deliveries(apps, None)
    # then each one the old code would still have tried has a job; the given-up one waits for staff
    queued = set(OutboxJob.objects.values_list("payload__delivery", flat=True))
    assert queued == {waiting.pk, sending.pk, retry_due.pk}
