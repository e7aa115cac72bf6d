"""Batch jobs over the whole member base, against hand-written set-based SQL doing the same work.

    .venv/bin/python -m bench.batch [--members 1000000] [--days-ahead 180] [--tier-days-ahead 370]

Point expiry is run as if `--days-ahead` days had passed and tier evaluation as if
`--tier-days-ahead` had (the data set's tier periods end a year after loading), so a realistic
share of credits and every tier period is due. Each run, the app's and the SQL's, happens inside a
transaction that is rolled back: the data set stays as loaded. (The dormant automation has its
own script, bench.dormant; the dashboard queries bench.kpis.)
"""

import argparse
import datetime
import os
import time

from bench.common import ensure_database, write_results

EXPIRY_SQL = """
WITH due AS (
    SELECT a.id, a.balance - COALESCE(SUM(e.points) FILTER (
               WHERE e.points > 0 AND (e.expires_at IS NULL OR e.expires_at > %(now)s)), 0) AS expired
    FROM points_pointaccount a
    JOIN points_pointsentry e ON e.account_id = a.id
    WHERE a.balance > 0
    GROUP BY a.id, a.balance
), written AS (
    INSERT INTO points_pointsentry (account_id, kind, points, pending_points, balance_after,
        is_qualifying, effective_at, reason, note, created_at)
    SELECT due.id, 'expiry', -due.expired, 0, a.balance - due.expired, false, %(now)s, '', '', now()
    FROM due JOIN points_pointaccount a ON a.id = due.id
    WHERE due.expired > 0
    RETURNING account_id, points
)
UPDATE points_pointaccount a SET balance = a.balance + written.points
FROM written WHERE a.id = written.account_id
"""

TIERS_SQL = """
WITH qualifying AS (
    SELECT a.id, a.tier_id AS from_tier, COALESCE(SUM(e.points) FILTER (
               WHERE e.is_qualifying AND e.effective_at > %(start)s AND e.effective_at <= %(now)s), 0) AS points
    FROM points_pointaccount a
    LEFT JOIN points_pointsentry e ON e.account_id = a.id
    WHERE a.tier_valid_until <= %(now)s
    GROUP BY a.id, a.tier_id
), target AS (
    SELECT q.id, q.from_tier, q.points, (SELECT t.id FROM points_tier t WHERE t.threshold <= q.points
                  ORDER BY t.threshold DESC LIMIT 1) AS tier_id
    FROM qualifying q
), decided AS (
    SELECT target.id, target.from_tier, target.points,
           CASE WHEN COALESCE(n.rank, -1) >= f.rank THEN f.id ELSE n.id END AS tier_id,
           COALESCE(n.rank, -1) < f.rank AS moves_down
    FROM target JOIN points_tier f ON f.id = target.from_tier
    LEFT JOIN points_tier n ON n.id = target.tier_id
), moved AS (
    INSERT INTO points_tierchange (account_id, from_tier_id, to_tier_id, reason, qualifying_points,
        created_at)
    SELECT id, from_tier, tier_id, 'downgrade', points, %(now)s FROM decided WHERE moves_down
)
UPDATE points_pointaccount a
SET tier_id = decided.tier_id,
    tier_valid_until = CASE WHEN t.threshold > 0 THEN %(until)s END,
    updated_at = %(now)s
FROM decided LEFT JOIN points_tier t ON t.id = decided.tier_id
WHERE a.id = decided.id
"""


def _rolled_back(work):
    """Runs work() in a transaction that is rolled back; returns (seconds, result)."""
    from django.db import transaction

    outer = transaction.atomic()
    # The jobs open durable transactions per batch; let them nest in this one, as Django's
    # TestCase does (the flag is what it sets on its own outer block).
    outer._from_testcase = True
    with outer:
        started = time.perf_counter()
        result = work()
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return round(elapsed, 3), result


def _sql(statement: str, params: dict) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--days-ahead", type=int, default=180)
    parser.add_argument("--tier-days-ahead", type=int, default=370)
    parser.add_argument(
        "--only", nargs="*", choices=["expiry", "tiers"], help="run only these jobs"
    )
    args = parser.parse_args()
    jobs = args.only or ["expiry", "tiers"]
    ensure_database(members=args.members, fresh=False)

    from django.utils import timezone

    now = timezone.now() + datetime.timedelta(days=args.days_ahead)
    tiers_now = timezone.now() + datetime.timedelta(days=args.tier_days_ahead)
    figures: dict = {
        "members": args.members,
        "as_if_days_ahead": args.days_ahead,
        "tiers_as_if_days_ahead": args.tier_days_ahead,
    }

    if "expiry" in jobs:
        _expiry(now, figures)
    if "tiers" in jobs:
        _tiers(tiers_now, figures)
    rows = "".join(
        f"| {label} | {figures[job]['app_s']:.1f} s | {figures[job]['sql_s']:.1f} s | "
        f"{figures[job]['ratio']} | {figures[job]['rows']:,} accounts |\n"
        for job, label in (("expiry", "point expiry"), ("tiers", "tier evaluation"))
        if job in figures
    )
    load = os.getloadavg()
    markdown = (
        f"# Batch jobs, {args.members:,} members (expiry as if {args.days_ahead} days ahead, "
        f"tiers {args.tier_days_ahead})\n\n"
        f"Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        f"({os.cpu_count()} cores).\n\n"
        "| job | app | hand-written SQL | ratio | rows |\n| --- | ---: | ---: | ---: | ---: |\n"
        + rows
    )
    write_results("batch", {"figures": figures, "load_average": load}, markdown)


def _expiry(now, figures: dict) -> None:
    from points.services import points_expire_due

    print(f"Point expiry as of {now:%Y-%m-%d}")
    app_s, run = _rolled_back(lambda: points_expire_due(now=now, batch_size=5000))
    sql_s, rows = _rolled_back(lambda: _sql(EXPIRY_SQL, {"now": now}))
    figures["expiry"] = {
        "app_s": app_s,
        "sql_s": sql_s,
        "accounts": run.accounts,
        "points": run.points,
        "sql_accounts": rows,
        "ratio": round(app_s / sql_s, 2),
        "rows": run.accounts,
    }
    print(
        f"  app {app_s:.2f} s ({run.accounts:,} accounts, {run.points:,} points); SQL {sql_s:.2f} s "
        f"({rows:,}); ratio {figures['expiry']['ratio']}"
    )


def _tiers(tiers_now, figures: dict) -> None:
    from points.dates import add_months
    from points.services.tiers import tiers_evaluate_due

    print(f"Tier evaluation as of {tiers_now:%Y-%m-%d}")
    app_s, result = _rolled_back(lambda: tiers_evaluate_due(now=tiers_now, batch_size=5000))
    window = {"start": add_months(tiers_now, -12), "until": add_months(tiers_now, 12)}
    sql_s, rows = _rolled_back(lambda: _sql(TIERS_SQL, {"now": tiers_now, **window}))
    figures["tiers"] = {
        "app_s": app_s,
        "sql_s": sql_s,
        "evaluated": result.evaluated,
        "downgraded": result.downgraded,
        "renewed": result.renewed,
        "sql_rows": rows,
        "ratio": round(app_s / sql_s, 2),
        "rows": result.evaluated,
    }
    print(
        f"  app {app_s:.2f} s ({result.evaluated:,} evaluated, {result.downgraded:,} down); SQL "
        f"{sql_s:.2f} s ({rows:,}); ratio {figures['tiers']['ratio']}"
    )


if __name__ == "__main__":
    main()
