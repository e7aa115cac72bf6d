"""The POS API under load, served the way production serves it, against the PostgreSQL floor.

    .venv/bin/python -m bench.api [--duration 20] [--connections 8] [--workers 3]

gunicorn runs the app with the production settings (DEBUG off, persistent connections, Redis
cache); `wrk` drives it from a separate process on loopback, one scenario at a time, bounded in
time. Two floors, in the same run:

- the **framework floor** (`bench/floor/`): in the same gunicorn workers, a minimal DRF view that
  reads the same JSON body with a serializer, looks the member up by card number and runs the
  same writes as one purchase earn in raw SQL (`floor`), and an empty DRF view (`empty`);
- `pgbench` running those writes (lock the account, insert the purchase under its idempotency
  constraint, insert the ledger entry, move the balance) as plain SQL at the same concurrency.

Every scenario is reported as a ratio to both. Needs `wrk` and `pgbench` (Debian packages).
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

from bench.common import ROOT, database_url, ensure_database, write_results

WRK_DIR = ROOT / "bench" / "wrk"
API_KEY = "pos_bench-key-not-for-production"
SCENARIOS = ["earn", "replay", "quote", "summary", "checkout", "redeem", "refund"]
# The framework floor (bench/floor/): (wrk script, path), served by the same workers.
FLOORS = {
    "empty": ("earn", "/bench/floor/empty/"),
    "floor": ("earn", "/bench/floor/purchase/"),
}


def prepare(data: Path, *, sample: int, seed: int) -> dict:
    """Bench fixtures: a store and key, member samples, codes, refundable purchases."""
    from django.db import transaction

    from accounts.models import ApiScope, Member, PosApiKey, Store, hash_api_key
    from points.services import PurchaseRequest, purchase_record
    from rewards.codes import generate_code
    from rewards.models import IssuedReward, Reward

    rng = random.Random(seed)
    store, _ = Store.objects.get_or_create(
        code="BENCH", defaults={"name": "Bench till", "channel": "offline"}
    )
    PosApiKey.objects.get_or_create(
        key_hash=hash_api_key(API_KEY),
        defaults={
            "store": store,
            "name": "bench",
            "prefix": API_KEY[:12],
            "scopes": list(ApiScope.values),
        },
    )
    last_id = Member.objects.order_by("-pk").values_list("pk", flat=True).first()
    ids = rng.sample(range(1, last_id + 1), sample)
    members = list(Member.objects.filter(pk__in=ids).values_list("pk", "card_number"))
    (data / "cards.txt").write_text("".join(f"{card}\n" for _pk, card in members))
    rich = list(
        Member.objects.filter(point_account__balance__gte=2000)
        .order_by("?")
        .values_list("card_number", flat=True)[:sample]
    )
    (data / "rich.txt").write_text("".join(f"{card}\n" for card in rich))
    reward, _ = Reward.objects.get_or_create(
        name_nl="Bench: 1 punt",
        defaults={
            "kind": "fixed_discount",
            "value": Decimal("1"),
            "points_cost": 1,
            "stacking": "combinable",
            "validity_days": 30,
        },
    )
    fixed, _ = Reward.objects.get_or_create(
        name_nl="Bench: €2 combineerbaar",
        defaults={
            "kind": "fixed_discount",
            "value": Decimal("2"),
            "points_cost": 0,
            "stacking": "combinable",
        },
    )
    policy_codes = []
    with transaction.atomic():
        from django.utils import timezone

        now = timezone.now()
        issued = []
        for _pk, card in members[:5000]:
            pair = [generate_code(), generate_code()]
            policy_codes.append((card, *pair))
            issued.extend(
                IssuedReward(
                    reward=fixed,
                    member_id=_pk,
                    code=code,
                    source="staff",
                    value=fixed.value,
                    issued_at=now,
                    expires_at=now + timezone.timedelta(days=365),
                )
                for code in pair
            )
        IssuedReward.objects.bulk_create(issued, batch_size=1000)
    (data / "codes.txt").write_text("".join(",".join(row) + "\n" for row in policy_codes))
    from rewards.models import StackingPolicy

    policy = StackingPolicy.current()
    policy.max_codes_per_purchase = 2
    policy.save()
    run = f"{int(time.time())}"
    replay, refundable = [], []
    by_pk = dict(members)
    member_objects = {
        member.pk: member
        for member in Member.objects.filter(pk__in=[pk for pk, _ in members[:1500]])
    }
    for index, (pk, _card) in enumerate(members[:1500]):
        amount, txid = (
            ("25.00", f"RP{run}-{index}") if index < 1000 else ("1000.00", f"RF{run}-{index}")
        )
        purchase_record(
            request=PurchaseRequest(
                store=store,
                member=member_objects[pk],
                transaction_id=txid,
                amount=Decimal(amount),
                currency="EUR",
            )
        )
        (replay if index < 1000 else refundable).append((txid, by_pk[pk]))
    (data / "replay.txt").write_text("".join(f"{txid},{card}\n" for txid, card in replay))
    (data / "refundable.txt").write_text("".join(f"{txid}\n" for txid, _card in refundable))
    return {"reward_id": reward.pk, "run": run, "members_sampled": len(members), "rich": len(rich)}


def start_gunicorn(*, workers: int, port: int, threads: int) -> subprocess.Popen:
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is already in use; pass --port")
    env = {
        **os.environ,
        # The production settings plus the floor's two routes (bench/floor/settings.py).
        "DJANGO_SETTINGS_MODULE": "bench.floor.settings",
        "SECRET_KEY": "bench-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "600",
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "rediscache://127.0.0.1:6379/3"),
        "POS_API_RATE": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }
    # As a deployment would: WhiteNoise serves the collected files.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "loyalty_site.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/schema/", timeout=2)
            return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("gunicorn did not come up")


def run_wrk(
    scenario: str, *, port: int, duration: int, connections: int, env: dict, path: str = ""
) -> dict:
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(WRK_DIR / f"{scenario}.lua"),
        f"http://127.0.0.1:{port}",
    ]
    extra = {"BENCH_PATH": path} if path else {}
    output = subprocess.run(
        command, env={**os.environ, **env, **extra}, capture_output=True, text=True, check=True
    )
    line = next((line for line in output.stdout.splitlines() if line.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{output.stdout}\n{output.stderr}")
    result = json.loads(line)
    result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    return result


PGBENCH_SCRIPT = """
\\set member random(1, {members})
\\set cents random(500, 15000)
\\set txn random(1, 2000000000)
BEGIN;
SELECT id, balance FROM points_pointaccount WHERE member_id = :member FOR NO KEY UPDATE \\gset acc_
INSERT INTO points_purchase (store_id, transaction_id, member_id, amount, discount_total, store_credit_used, currency, channel, occurred_at, points_earned, explanation, refunded_amount, points_reversed, request_hash, response_body, created_at)
  VALUES ({store}, 'PG' || :client_id || '-' || :txn || '-' || :member, :member, :cents / 100.0, 0, 0, 'EUR', 'offline', now(), :cents / 100, '[]', 0, 0, '', '{{}}', now())
  ON CONFLICT (store_id, transaction_id) DO NOTHING RETURNING id \\gset purchase_
INSERT INTO points_pointsentry (account_id, kind, points, pending_points, balance_after, is_qualifying, effective_at, expires_at, purchase_id, reason, note, created_at)
  VALUES (:acc_id, 'earn', :cents / 100 + 1, 0, :acc_balance + :cents / 100 + 1, true, now(), now() + interval '24 months', :purchase_id, '', '', now());
UPDATE points_pointaccount SET balance = balance + :cents / 100 + 1, updated_at = now() WHERE id = :acc_id;
COMMIT;
"""


def run_pgbench(*, members: int, store_id: int, duration: int, connections: int) -> dict:
    from urllib.parse import urlparse

    url = urlparse(database_url())
    workdir = Path(tempfile.mkdtemp(prefix="pgbench-"))
    script = workdir / "earn.sql"
    script.write_text(PGBENCH_SCRIPT.format(members=members, store=store_id))
    command = [
        "pgbench",
        "-n",
        "-h",
        url.hostname or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        "-c",
        str(connections),
        "-j",
        str(min(2, connections)),
        "-T",
        str(duration),
        "-f",
        str(script),
        "-l",
        "--log-prefix",
        str(workdir / "log"),
        url.path.lstrip("/"),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", output).group(1))
    latencies = sorted(
        int(line.split()[2]) / 1000
        for log in workdir.glob("log*")
        for line in log.read_text().splitlines()
        if line.strip()
    )
    shutil.rmtree(workdir, ignore_errors=True)

    def percentile(p: float) -> float:
        return (
            round(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))], 2)
            if latencies
            else 0.0
        )

    return {
        "rps": round(tps, 1),
        "p50_ms": percentile(50),
        "p95_ms": percentile(95),
        "p99_ms": percentile(99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=20, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=8, help="concurrent tills")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, help="run only these scenarios")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for tool in ("wrk", "pgbench"):
        if not shutil.which(tool):
            sys.exit(
                f"{tool} is needed: apt-get install {'wrk' if tool == 'wrk' else 'postgresql-client'}"
            )

    ensure_database(members=args.members, fresh=False)
    data = Path(tempfile.mkdtemp(prefix="bench-api-"))
    print("Preparing fixtures …")
    fixtures = prepare(data, sample=20_000, seed=args.seed)
    from accounts.models import Store

    store_id = Store.objects.get(code="BENCH").pk
    env = {
        "BENCH_API_KEY": API_KEY,
        "BENCH_DATA": str(data),
        "BENCH_WRK_DIR": str(WRK_DIR),
        "BENCH_RUN": fixtures["run"],
        "BENCH_REWARD_ID": str(fixtures["reward_id"]),
    }

    print(f"gunicorn: {args.workers} workers × {args.threads} threads, production settings")
    server = start_gunicorn(workers=args.workers, port=args.port, threads=args.threads)
    results = {}
    try:
        plan = [(name, name, "") for name in (args.only or SCENARIOS)]
        plan += [(name, script, path) for name, (script, path) in FLOORS.items()]
        for name, script, path in plan:
            kwargs = {"port": args.port, "connections": args.connections, "env": env, "path": path}
            run_wrk(script, duration=3, **kwargs)  # warm-up
            results[name] = r = run_wrk(script, duration=args.duration, **kwargs)
            print(
                f"  {name:9s} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.2f}  p95 {r['p95_ms']:6.2f}  "
                f"p99 {r['p99_ms']:6.2f} ms  non-2xx {r['non_2xx']}"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print("pgbench: the same writes as one purchase earn, as plain SQL …")
    floor = run_pgbench(
        members=args.members,
        store_id=store_id,
        duration=args.duration,
        connections=args.connections,
    )
    print(
        f"  raw SQL  {floor['rps']:8.1f} tx/s   p50 {floor['p50_ms']:6.2f}  p95 {floor['p95_ms']:6.2f}  p99 {floor['p99_ms']:6.2f} ms"
    )
    framework = results["floor"]["rps"]
    for r in results.values():
        r["of_floor"] = round(r["rps"] / framework, 3) if framework else None
        r["of_pgbench"] = round(r["rps"] / floor["rps"], 3) if floor["rps"] else None
    ratio = results["earn"]["of_pgbench"] if "earn" in results else None
    if "earn" in results:
        print(
            f"  purchase earn ÷ framework floor = {results['earn']['of_floor']:.1%}, "
            f"÷ pgbench = {ratio:.1%}"
        )
    load = os.getloadavg()
    rows = "".join(
        f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
        f"{r['non_2xx']} | {r['of_floor']:.0%} | {r['of_pgbench']:.1%} |\n"
        for name, r in results.items()
    )
    markdown = (
        f"# POS API under load ({args.connections} connections, {args.duration} s each, "
        f"gunicorn {args.workers}×{args.threads}, {args.members:,} members)\n\n"
        f"Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        f"({os.cpu_count()} cores).\n\n"
        "| scenario | req/s | p50 ms | p95 ms | p99 ms | non-2xx | ÷ framework floor | ÷ pgbench |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        + rows
        + f"| raw SQL floor (pgbench) | {floor['rps']:.0f} | {floor['p50_ms']:.1f} | "
        f"{floor['p95_ms']:.1f} | {floor['p99_ms']:.1f} | – | – | 100 % |\n"
    )
    write_results(
        "api",
        {
            "settings": vars(args),
            "load_average": load,
            "scenarios": results,
            "pgbench": floor,
            "earn_ratio": ratio,
        },
        markdown,
    )
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
