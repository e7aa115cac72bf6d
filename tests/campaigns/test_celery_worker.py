"""A real Celery worker on Redis runs the dormant automation and sends the e-mail.

Runs on PostgreSQL (the worker is a separate process and needs to see the test's committed data
in a server database) with Redis reachable; CI provides both.
"""

import datetime
import os
import socket
import uuid
from urllib.parse import urlparse

import pytest
from celery import Celery
from django.utils import timezone

from campaigns.models import Delivery
from tests.factories import AutomationFactory, MemberFactory, RewardFactory, StoreFactory
from tests.faults.processes import alive, database_url, start_worker, stop, tail, wait_until
from tests.helpers import buy
from tests.markers import postgres_only

BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def redis_reachable() -> bool:
    url = urlparse(BROKER)
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@postgres_only
@pytest.mark.skipif(not redis_reachable(), reason=f"no Redis at {BROKER}")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_the_dormant_automation_and_sends_the_email(tmp_path):
    # given a dormant member who agreed to e-mail, and a reactivation offer
    store = StoreFactory()
    member = MemberFactory(first_name="Dora", language="nl", email_consent_at=timezone.now())
    buy(member, store, "20.00", occurred_at=timezone.now() - datetime.timedelta(days=75))
    AutomationFactory(trigger="dormant", days=60, reward=RewardFactory(points_cost=0, fixed=True))
    queue = f"test-{uuid.uuid4().hex[:8]}"
    email_dir = tmp_path / "mail"
    email_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "loyalty_site.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(email_dir),
    }
    log = tmp_path / "worker.log"
    worker = start_worker(env, log, concurrency=1, beat=False, pool="solo")
    try:
        # when the hourly job is sent to the broker, as beat would
        Celery(broker=BROKER).send_task("campaigns.automations_run", queue=queue)
        # then the worker creates the delivery, issues the code and writes the e-mail
        wait_until(
            lambda: any(email_dir.iterdir()) or not alive(worker),
            timeout=60,
            interval=0.5,
            what="the worker to write the e-mail",
        )
        assert alive(worker), tail(log)
        emails = list(email_dir.iterdir())
        content = emails[0].read_text()
        assert member.email in content
        wait_until(
            Delivery.objects.filter(status="sent").exists,
            timeout=10,
            what="the delivery to be marked sent",
        )
        delivery = Delivery.objects.select_related("issued_reward").get()
        assert delivery.status == "sent"
        assert delivery.issued_reward.display_code in content
    finally:
        stop(worker, timeout=20)
