"""Database trouble answers 503 with Retry-After, never 500; the health checks stay fast.

The outage is simulated by making the test's connection refuse to give cursors (works on SQLite
and PostgreSQL); the PostgreSQL tests use real refused and silent ports and a real statement
timeout. The full scenario (a TCP proxy cut under load) is tests/faults/test_database_cut.py.
"""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client

from points.models import Purchase
from tests.faults.support import database_url, free_port
from tests.markers import IS_POSTGRES, postgres_only

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def database_down():
    refused = OperationalError("connection failed: Connection refused")
    with mock.patch.object(connection, "cursor", side_effect=refused):
        yield


def test_api_answers_503_with_retry_after_when_the_database_is_down(pos, member):
    # given a till, and then the database goes away
    with database_down():
        # when the till records a purchase
        response = pos.post(
            "/api/v1/purchases/",
            {"transaction_id": "T-1", "card_number": member.card_number, "amount": "10.00"},
            format="json",
        )
    # then it is told to come back, in the API's error shape
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json() == {
        "code": "service_unavailable",
        "message": "De dienst is tijdelijk niet beschikbaar. Probeer het zo opnieuw.",
        "field": None,
    }


@pytest.mark.parametrize(
    ("language", "text"),
    [("nl", "Tijdelijk niet beschikbaar"), ("en", "Temporarily unavailable")],
)
def test_pages_answer_a_translated_503_when_the_database_is_down(admin_client, language, text):
    # given a signed-in staff member, and then the database goes away
    admin_client.cookies["django_language"] = language
    with database_down():
        # when they open the admin
        response = admin_client.get("/admin/")
    # then they get a short page in their language, with Retry-After
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert text in response.content.decode()


class _SessionTouchingMiddleware:
    """Stands for middleware that reads the database before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        connection.cursor()
        return self.get_response(request)


def test_a_database_error_outside_a_view_answers_503_not_500(db, settings):
    # given middleware that needs the database, and then the database goes away
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:3],
        "tests.test_availability._SessionTouchingMiddleware",
        *settings.MIDDLEWARE[3:],
    ]
    client = Client(raise_request_exception=False)
    with database_down():
        # when a page and an API call are requested
        page = client.get("/")
        api = client.get("/api/v1/members/lookup/?card_number=1")
    # then both answer 503, not Django's 500
    assert page.status_code == 503
    assert "Tijdelijk niet beschikbaar" in page.content.decode()
    assert api.status_code == 503
    assert api.json()["code"] == "service_unavailable"
    assert api["Retry-After"] == "2"


def test_liveness_answers_without_the_database(client, db):
    # given the database is down
    with database_down():
        # when the load balancer asks /health/ and /health/live/
        responses = [client.get("/health/"), client.get("/health/live/")]
    # then the process says it is alive
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].json() == {"status": "ok"}


@pytest.mark.skipif(IS_POSTGRES, reason="on PostgreSQL readiness probes a fresh connection")
def test_readiness_answers_503_when_the_database_is_down_on_sqlite(client, db):
    # given the database is down
    with database_down():
        # when readiness is asked
        response = client.get("/health/ready/")
    # then it says unavailable, with the broker reported alongside
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "unavailable: OperationalError"
    assert body["broker"] == "not used (tasks run in-process)"


def test_readiness_answers_200_when_the_database_answers(client, db):
    response = client.get("/health/ready/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@postgres_only
def test_readiness_is_fast_when_the_database_port_refuses(client, db):
    # given the database's address refuses connections
    with mock.patch.dict(connection.settings_dict, {"PORT": str(free_port())}):
        # when readiness is asked
        started = time.monotonic()
        response = client.get("/health/ready/")
    # then it says unavailable at once
    assert response.status_code == 503
    assert time.monotonic() - started < 1
    assert response.json()["database"] == "unavailable: OperationalError"


@postgres_only
def test_readiness_answers_within_3_seconds_when_the_database_never_answers(client, db):
    # given the database's address accepts connections but never says a word (a hung network)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        with mock.patch.dict(connection.settings_dict, {"PORT": str(port)}):
            # when readiness is asked
            started = time.monotonic()
            response = client.get("/health/ready/")
            elapsed = time.monotonic() - started
    # then it gives up after its connect timeout and says unavailable
    assert response.status_code == 503
    assert 1.5 < elapsed < 3


STATEMENT_PROBE = """
import sys
from django.db import OperationalError, connection
if sys.argv[1] == "web":
    import loyalty_site.wsgi
else:
    import django
    django.setup()
with connection.cursor() as cursor:
    cursor.execute("SHOW statement_timeout")
    print(cursor.fetchone()[0])
    try:
        cursor.execute("SELECT pg_sleep(0.6)")
        print("finished")
    except OperationalError as exc:
        print("cancelled", type(exc.__cause__).__name__)
"""


@postgres_only
@pytest.mark.parametrize(
    ("process", "expected"),
    [("web", ["500ms", "cancelled", "QueryCanceled"]), ("batch", ["0", "finished"])],
)
def test_only_web_processes_get_the_statement_timeout(db, process, expected):
    # given a 500 ms statement timeout configured
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "loyalty_site.settings.production",
        "SECRET_KEY": "a-real-secret-" + "x7Gq!9vLm#2pRt$5wZk&8nYb^4cHj*6sFd" * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "DATABASE_STATEMENT_TIMEOUT_MS": "500",
    }
    # when a web process (through wsgi.py) and a batch process (django.setup(), as Celery
    # workers and management commands do) run a statement of 0.6 s
    result = subprocess.run(
        [sys.executable, "-c", STATEMENT_PROBE, process],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then only the web process has it cancelled
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_purchase_committed_before_the_database_fails_answers_503_then_replays(pos, member):
    # given the database fails right after the purchase commits (in an after-commit action)
    from django.db import transaction

    from points.signals import purchase_recorded

    def fail_after_commit(**kwargs):
        def lose_the_database():
            raise OperationalError("server closed the connection unexpectedly")

        transaction.on_commit(lose_the_database)

    body = {
        "transaction_id": "T-9",
        "card_number": member.card_number,
        "amount": "10.00",
        "currency": "EUR",
    }
    purchase_recorded.connect(fail_after_commit, dispatch_uid="test_fail_after_commit")
    try:
        # when the till records a purchase
        first = pos.post("/api/v1/purchases/", body, format="json")
    finally:
        purchase_recorded.disconnect(dispatch_uid="test_fail_after_commit")
    # then it gets a 503, not a 500, and its retry replays what was committed, once
    assert first.status_code == 503
    assert first["Retry-After"] == "2"
    retry = pos.post("/api/v1/purchases/", body, format="json")
    assert retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["points_earned"] == 10
    assert Purchase.objects.filter(transaction_id="T-9").count() == 1
