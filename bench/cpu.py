"""CPU time and queries per API request, in one process: a check that holds on a busy machine.

    .venv/bin/python -m bench.cpu [--requests 300]

Throughput under wrk (bench.api) swings several-fold when other work shares the two cores; the
CPU one request costs our process, and the queries it sends, hardly move. So this is how a
refactoring is checked against the commit before it: run it in both checkouts, each against a
loaded bench database (bench.load), one after the other, and compare. It drives the same three
requests as bench.api's earn, quote and summary scenarios through Django's test client (no HTTP
server, no network), after bench.api has prepared its key (run `bench.api --only summary` once).
"DB CPU ms" is what the PostgreSQL server process serving the connection spent per request
(read from /proc, so only when PostgreSQL runs on this machine): the split docs/scaling.md's
capacity model uses.
"""

import argparse
import json
import os
import random
import time

from bench.common import setup_django


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300, help="per scenario")
    args = parser.parse_args()
    os.environ.setdefault(
        "CACHE_URL", os.environ.get("BENCH_CACHE_URL", "rediscache://127.0.0.1:6379/3")
    )
    setup_django()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Member
    from bench.api import API_KEY

    rng = random.Random(1)
    cards = list(Member.objects.order_by("?").values_list("card_number", flat=True)[:500])
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {API_KEY}", HTTP_HOST="127.0.0.1")
    run = f"CPU{int(time.time())}"

    def post(path: str, body: dict):
        return client.post(path, json.dumps(body), content_type="application/json")

    def earn(i: int):
        amount = f"{rng.randint(5, 150)}.{rng.randint(0, 99):02d}"
        return post(
            "/api/v1/purchases/",
            {
                "transaction_id": f"{run}-{i}",
                "card_number": rng.choice(cards),
                "amount": amount,
                "currency": "EUR",
                "lines": [{"sku": "KOF-250", "category": "coffee", "amount": "5.00"}],
            },
        )

    def quote(_i: int):
        body = {"card_number": rng.choice(cards), "amount": "42.50", "currency": "EUR"}
        return post("/api/v1/purchases/quote/", body)

    def summary(_i: int):
        return client.get(f"/api/v1/members/{rng.choice(cards)}/")

    backend = _backend_pid(connection)
    print(
        f"{'scenario':10} {'CPU ms/request':>15} {'DB CPU ms':>10} {'wall ms/request':>16} "
        f"{'queries':>8}"
    )
    for name, send in (("earn", earn), ("quote", quote), ("summary", summary)):
        for i in range(20):  # warm the caches and the connection
            answer = send(10_000_000 + i)
            assert answer.status_code in (200, 201), (name, answer.status_code, answer.content)
        with CaptureQueriesContext(connection) as queries:
            cpu, wall = time.process_time(), time.perf_counter()
            database_cpu = _cpu_seconds(backend)
            for i in range(args.requests):
                send(i)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            database_cpu = _cpu_seconds(backend) - database_cpu
        n = args.requests
        print(
            f"{name:10} {cpu / n * 1000:15.2f} {database_cpu / n * 1000:10.2f} "
            f"{wall / n * 1000:16.2f} {len(queries.captured_queries) / n:8.1f}"
        )


def _backend_pid(connection) -> int:
    """The PostgreSQL server process serving this connection (on this machine)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a local process has used: the database's share of a
    request, measured as the process that did it, whatever else the machine is doing. NaN when
    the server runs elsewhere."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
