"""The app through PgBouncer in transaction mode (`DATABASE_POOLING=transaction`).

In transaction mode one client's consecutive transactions may run on different server
connections, so anything kept in a session breaks: prepared statements, server-side cursors,
session advisory locks, startup `options`. The test starts its own PgBouncer on a free port in
front of the test database (two server connections for many clients), then:

- serves the till API with gunicorn through it: parallel purchases are all recorded once, the
  ledger is clean, readiness is `ok`;
- runs the nightly tier evaluation twice at once through it: both finish, the job lock (a lease
  row there) lets one of them do the work and is gone afterwards.
"""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.services import api_key_create
from core.models import JobLease
from points.models import Purchase
from tests.factories import MemberFactory, StoreFactory
from tests.markers import postgres_only

from .clusters import needs_pgbouncer, start_pgbouncer
from .gunicorn import request, start_gunicorn, stop, wait_until_ready
from .support import database_url, free_port

ROOT = Path(__file__).resolve().parents[2]
TILLS = 8
PURCHASES_PER_TILL = 6


@pytest.fixture
def bouncer():
    bouncer = start_pgbouncer(
        database=settings.DATABASES["default"]["NAME"],
        upstream_port=int(settings.DATABASES["default"].get("PORT") or 5432),
        pool_size=2,
        connect_query="SET statement_timeout = 10000",
    )
    yield bouncer
    bouncer.stop()


@postgres_only
@needs_pgbouncer
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_till_api_works_through_pgbouncer_in_transaction_mode(bouncer, tmp_path):
    # given a till key, members and the app served by gunicorn through PgBouncer
    store = StoreFactory(code="BOUNCE")
    raw_key = api_key_create(store=store, name="PgBouncer test").raw_key
    cards = [MemberFactory().card_number for _ in range(TILLS)]
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    server = start_gunicorn(
        port=port,
        db_port=bouncer.port,
        log_path=log_path,
        extra_env={"DATABASE_POOLING": "transaction", "CONN_MAX_AGE": "60"},
    )
    statuses: list[int] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Api-Key {raw_key}", "Content-Type": "application/json"}

    def till(number: int) -> None:
        for purchase in range(PURCHASES_PER_TILL):
            body = {
                "transaction_id": f"PGB-{number}-{purchase}",
                "card_number": cards[number],
                "amount": "20.00",
                "currency": "EUR",
            }
            status, _headers, content = request(
                port, "POST", "/api/v1/purchases/", body=body, headers=headers
            )
            summary = request(port, "GET", f"/api/v1/members/{cards[number]}/", headers=headers)[0]
            with lock:
                statuses.extend([status, summary])

    try:
        wait_until_ready(port, server, log_path)  # readiness probes the database through it
        # when eight tills buy at once, more clients than PgBouncer has server connections
        tills = [threading.Thread(target=till, args=(n,)) for n in range(TILLS)]
        for thread in tills:
            thread.start()
        for thread in tills:
            thread.join(timeout=120)
        ready = request(port, "GET", "/health/ready/")
    finally:
        stop(server)

    # then every purchase was recorded once and every read answered
    assert statuses.count(201) == TILLS * PURCHASES_PER_TILL, log_path.read_text()[-3000:]
    assert statuses.count(200) == TILLS * PURCHASES_PER_TILL
    assert Purchase.objects.filter(store=store).count() == TILLS * PURCHASES_PER_TILL
    assert ready[0] == 200
    assert json.loads(ready[2])["database"] == "ok"
    call_command("check_ledger")  # raises CommandError on any mismatch


@postgres_only
@needs_pgbouncer
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_job_runs_through_pgbouncer_share_one_lease_and_leave_no_lock(bouncer):
    # given members to evaluate and two processes pointed at PgBouncer
    for _ in range(5):
        MemberFactory()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))},
        "DJANGO_SETTINGS_MODULE": "loyalty_site.settings.test",
        "DATABASE_URL": database_url(port=bouncer.port),
        "DATABASE_POOLING": "transaction",
    }
    # when the tier evaluation runs twice at the same time
    runs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "evaluate_tiers"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [run.communicate(timeout=180) for run in runs]

    # then both finished without error, and the lease is released
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _out, err in results]
    assert not JobLease.objects.exists()
