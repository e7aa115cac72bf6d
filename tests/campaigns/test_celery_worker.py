"""A real Celery worker on Redis runs the dormant automation and sends the e-mail.

Runs on PostgreSQL (the worker is a separate process and needs to see the test's committed data
in a server database) with Redis reachable; CI provides both.
"""

import datetime
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from celery import Celery
from django.conf import settings
from django.utils import timezone

from campaigns.models import Delivery
from tests.conftest import postgres_only
from tests.factories import AutomationFactory, MemberFactory, RewardFactory, StoreFactory
from tests.helpers import buy

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def redis_reachable() -> bool:
    url = urlparse(BROKER)
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


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
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "loyalty_site.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "loyalty_site",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # when the hourly job is sent to the broker, as beat would
        Celery(broker=BROKER).send_task("campaigns.automations_run", queue=queue)
        # then the worker creates the delivery, issues the code and writes the e-mail
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(tmp_path.iterdir()):
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.5)
        emails = list(tmp_path.iterdir())
        assert emails, "no e-mail was written by the worker"
        content = emails[0].read_text()
        assert member.email in content
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Delivery.objects.filter(status="sent").count() == 0:
            time.sleep(0.2)
        delivery = Delivery.objects.select_related("issued_reward").get()
        assert delivery.status == "sent"
        assert delivery.issued_reward.display_code in content
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
