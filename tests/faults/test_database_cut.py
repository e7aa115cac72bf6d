"""The database cut under load: gunicorn with the production settings, tills sending purchases
from several threads, the connection to PostgreSQL cut through a proxy and restored.

During the cut every answer is `503` with `Retry-After` (no `500`, no hang), `/health/` answers
within 3 s in every phase and readiness says unavailable; after the restore the first purchase
succeeds within 5 s; in the end nothing is lost or recorded twice and the ledger is clean.

The cut lasts FAULT_CUT_SECONDS (default 5, to keep CI short). The full scenario of issue #11:

    FAULT_CUT_SECONDS=25 DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty_ops \\
        .venv/bin/python -m pytest tests/faults/test_database_cut.py -s

prints the figures (with -s) and, with FAULT_REPORT=path.json, writes them there.
"""

import itertools
import json
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.services import api_key_create
from points.models import PointsEntry, Purchase
from tests.factories import MemberFactory, StoreFactory
from tests.markers import postgres_only

from .gunicorn import request, start_gunicorn, stop, wait_until_ready
from .proxy import CuttableProxy
from .support import free_port

ROOT = Path(__file__).resolve().parents[2]
CUT_SECONDS = float(os.environ.get("FAULT_CUT_SECONDS", "5"))
CLIENTS = int(os.environ.get("FAULT_CLIENTS", "4"))
BEFORE_SECONDS = 3.0
AFTER_SECONDS = 8.0
HEALTH_LIMIT = 3.0
RECOVERY_LIMIT = 5.0


@dataclass
class Attempt:
    client: int
    transaction_id: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer (connection error or client timeout)
    retry_after: str | None
    code: str | None

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Probe:
    path: str
    started: float
    ended: float
    status: int | None

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_cut_under_load_answers_503_loses_nothing_and_recovers(tmp_path):
    # given a store with a till key, members, and the app served by gunicorn through a proxy
    store = StoreFactory(code="CUT01")
    raw_key = api_key_create(store=store, name="Fault test").raw_key
    cards = [MemberFactory().card_number for _ in range(CLIENTS)]
    app_port = free_port()
    log_path = tmp_path / "gunicorn.log"
    with CuttableProxy(upstream=("127.0.0.1", 5432)) as proxy:
        server = start_gunicorn(port=app_port, db_port=proxy.port, log_path=log_path)
        try:
            wait_until_ready(app_port, server, log_path)
            attempts, probes, timeline = drive_purchases_through_a_cut(
                app_port, proxy, raw_key, cards
            )
        finally:
            stop(server)

    # then
    cut_at, restore_at, stop_at = timeline
    report = figures(attempts, probes, cut_at, restore_at)
    sys.stdout.write("\n" + json.dumps(report, indent=2) + "\n")
    if os.environ.get("FAULT_REPORT"):
        Path(os.environ["FAULT_REPORT"]).write_text(json.dumps(report, indent=2))

    # every answer is 201, a replay (200) or 503 with Retry-After; none hung
    unexpected = [a for a in attempts if a.status not in {200, 201, 503}]
    assert not unexpected, [asdict(a) for a in unexpected[:5]]
    assert all(a.retry_after for a in attempts if a.status == 503)
    assert all(a.code == "service_unavailable" for a in attempts if a.status == 503)
    # during the cut, only 503s: a request in flight when the cut came, if it had committed,
    # answered within half a second; everything ending later in the cut failed
    during = [a for a in attempts if cut_at + 0.5 <= a.ended <= restore_at]
    assert during
    assert {a.status for a in during} == {503}
    # liveness within 3 s in every phase; readiness unavailable during the cut
    live = [p for p in probes if p.path == "/health/"]
    assert {p.status for p in live} == {200}
    assert max(p.seconds for p in live) < HEALTH_LIMIT
    ready_during = [p for p in probes if p.path == "/health/ready/" and cut_at + 0.5 <= p.started]
    ready_during = [p for p in ready_during if p.ended <= restore_at]
    assert ready_during
    assert {p.status for p in ready_during} == {503}
    assert max(p.seconds for p in probes if p.path == "/health/ready/") < HEALTH_LIMIT
    # recovery within 5 s of the restore
    assert report["recovery_seconds"] is not None
    assert report["recovery_seconds"] <= RECOVERY_LIMIT
    # nothing lost, nothing twice
    succeeded = {a.transaction_id for a in attempts if a.status in {200, 201}}
    started = {a.transaction_id for a in attempts}
    assert succeeded == started, "a till gave up on a purchase"
    recorded = set(Purchase.objects.filter(store=store).values_list("transaction_id", flat=True))
    assert recorded == succeeded
    doubled = (
        PointsEntry.objects.filter(purchase__store=store, kind="earn")
        .values("purchase")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()
    assert report["lost"] == 0
    assert report["doubled"] == 0
    call_command("check_ledger")  # raises CommandError on any mismatch


def drive_purchases_through_a_cut(port: int, proxy: CuttableProxy, raw_key: str, cards):
    attempts: list[Attempt] = []
    probes: list[Probe] = []
    lock = threading.Lock()
    stopping = threading.Event()
    numbers = itertools.count(1)
    headers = {"Authorization": f"Api-Key {raw_key}", "Content-Type": "application/json"}

    def till(client: int) -> None:
        # Like a till: one purchase at a time, retried with the same transaction_id until it is
        # recorded, waiting as long as Retry-After says.
        while not stopping.is_set():
            transaction_id = f"CUT-{client}-{next(numbers)}"
            body = {
                "transaction_id": transaction_id,
                "card_number": cards[client],
                "amount": "12.50",
                "currency": "EUR",
            }
            give_up_at = time.monotonic() + 120
            while time.monotonic() < give_up_at:
                started = time.monotonic()
                status, response_headers, code = None, {}, None
                try:
                    status, response_headers, content = request(
                        port, "POST", "/api/v1/purchases/", body=body, headers=headers
                    )
                    if status >= 400:
                        code = json.loads(content).get("code")
                except (OSError, ValueError):
                    pass
                attempt = Attempt(
                    client=client,
                    transaction_id=transaction_id,
                    started=started,
                    ended=time.monotonic(),
                    status=status,
                    retry_after=response_headers.get("Retry-After"),
                    code=code,
                )
                with lock:
                    attempts.append(attempt)
                if status in {200, 201}:
                    break
                time.sleep(float(attempt.retry_after or 1))

    def prober(path: str, every: float) -> None:
        while not stopping.is_set():
            started = time.monotonic()
            try:
                status = request(port, "GET", path)[0]
            except OSError:
                status = None
            with lock:
                probes.append(
                    Probe(path=path, started=started, ended=time.monotonic(), status=status)
                )
            time.sleep(max(0.0, every - (time.monotonic() - started)))

    threads = [threading.Thread(target=till, args=(n,)) for n in range(len(cards))]
    threads += [
        threading.Thread(target=prober, args=("/health/", 0.5)),
        threading.Thread(target=prober, args=("/health/ready/", 1.0)),
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(BEFORE_SECONDS)
        cut_at = time.monotonic()
        proxy.cut()
        time.sleep(CUT_SECONDS)
        restore_at = time.monotonic()
        proxy.restore()
        time.sleep(AFTER_SECONDS)
    finally:
        stop_at = time.monotonic()
        stopping.set()
        for thread in threads:
            thread.join(timeout=180)
    return attempts, probes, (cut_at, restore_at, stop_at)


def figures(attempts: list[Attempt], probes: list[Probe], cut_at: float, restore_at: float):
    def phase(moment: float) -> str:
        return "before" if moment < cut_at else "cut" if moment < restore_at else "after"

    recovered = [a.ended for a in attempts if a.status in {200, 201} and a.started >= restore_at]
    succeeded = {a.transaction_id for a in attempts if a.status in {200, 201}}
    recorded = Purchase.objects.filter(transaction_id__in=succeeded).values("transaction_id")
    counts = recorded.annotate(n=Count("id"))
    health = {}
    for path in ("/health/", "/health/ready/"):
        for name in ("before", "cut", "after"):
            samples = [p for p in probes if p.path == path and phase(p.started) == name]
            health[f"{path} {name}"] = {
                "probes": len(samples),
                "statuses": sorted({str(p.status) for p in samples}),
                "max_seconds": round(max((p.seconds for p in samples), default=0), 3),
            }
    return {
        "cut_seconds": CUT_SECONDS,
        "clients": CLIENTS,
        "requests": len(attempts),
        "purchases": len(succeeded),
        "status_counts": {
            str(status): sum(1 for a in attempts if a.status == status)
            for status in sorted({a.status for a in attempts}, key=str)
        },
        "answers_during_cut": sum(1 for a in attempts if phase(a.ended) == "cut"),
        "max_latency_seconds": round(max(a.seconds for a in attempts), 3),
        "max_latency_seconds_during_cut": round(
            max((a.seconds for a in attempts if phase(a.ended) == "cut"), default=0), 3
        ),
        "retried_purchases": len({a.transaction_id for a in attempts if a.status == 503}),
        "replayed_200": sum(1 for a in attempts if a.status == 200),
        "recovery_seconds": round(min(recovered) - restore_at, 3) if recovered else None,
        "lost": len(succeeded - {row["transaction_id"] for row in recorded}),
        "doubled": sum(1 for row in counts if row["n"] > 1),
        "health": health,
    }
