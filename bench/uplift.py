"""Times the uplift report on 1,000,000 held-out and treated members.

    BENCH_DATABASE_URL=postgres://…/loyalty_uplift_bench .venv/bin/python -m bench.uplift

Self-contained (it does not need the 10M-purchase data set of bench.load): in its own database
it writes, set-based, 1,000,000 members, one finished reactivation automation with two variants
and a 20 % holdout, a delivery per member placed as the assignment would (the hash computed in
SQL here only for speed of loading; the report does not care how members were placed), and a
purchase for each member who came back (25 % with the offer, 18 % without), and the window
revenue the recording of those purchases keeps on each delivery. Then it times the
report (median of 3) against a floor measured in the same run: one full scan of the deliveries
(`SELECT COUNT(*)`). Results: bench/results/uplift-latest.{md,json}.
"""

import argparse
import datetime
import statistics
import time

from bench.common import _psql, database_name, setup_django, write_results

RUNS = 3


def _execute(sql: str, params=()) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or None)
        return cursor.rowcount


def load(members: int) -> None:
    """Writes the data set unless this many members are there already."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM campaigns_delivery")
        if cursor.fetchone()[0] == members:
            print(f"Using the {members:,} deliveries already loaded.")
            return
    print(f"Loading {members:,} members, deliveries and comebacks …")
    started = time.perf_counter()
    with transaction.atomic():
        _execute(
            "TRUNCATE campaigns_delivery, campaigns_automationarm, campaigns_automation, "
            "points_purchase, points_pointaccount, accounts_store, accounts_member CASCADE"
        )
        _execute("""
            INSERT INTO accounts_store (code, name, channel, is_active, created_at)
            VALUES ('B001', 'Bench', 'offline', true, now())
        """)
        _execute(
            """
            INSERT INTO accounts_member (card_number, first_name, last_name, language, status,
                enrolled_at, updated_at, preferred_channel, email)
            SELECT lpad(n::text, 11, '0'), '', '', 'nl', 'active', now() - interval '400 days',
                   now(), '', 'bench' || n || '@example.com'
            FROM generate_series(1, %s) AS n
            """,
            [members],
        )
        _execute("""
            INSERT INTO campaigns_automation (name, trigger, days, bonus_points, reward_newcomer,
                channel, only_reachable, message_subject_nl, message_subject_en, message_body_nl,
                message_body_en, message_sms_nl, message_sms_en, message_whatsapp_nl,
                message_whatsapp_en, cooldown_days, conversion_days, is_active, created_at,
                updated_at, category, holdout_percent)
            VALUES ('Bench: winback', 'dormant', 90, 0, false, 'email', true, '', '', '', '',
                    '', '', '', '', 90, 30, false, now(), now(), '', 20)
        """)
        _execute("""
            INSERT INTO campaigns_automationarm (automation_id, name, bonus_points, split_percent)
            SELECT id, arm.name, arm.points, 50 FROM campaigns_automation,
                   (VALUES ('100 punten', 100), ('250 punten', 250)) AS arm(name, points)
        """)
        # 20 % held out, the others split over the two variants; 25 % come back with the offer,
        # 18 % without, on a day within the 30-day window.
        _execute("""
            INSERT INTO campaigns_delivery (automation_id, arm_id, member_id, period_key,
                created_at, fulfilled_at, channel, status, skip_reason, attempts, last_error,
                provider_reference, offer_expires_at, converted_at)
            SELECT a.id,
                   CASE WHEN d.u < 0.2 THEN NULL WHEN d.u < 0.6 THEN arms.low ELSE arms.high END,
                   m.id, 'bench', d.at, d.at, 'email',
                   CASE WHEN d.u < 0.2 THEN 'held_out' ELSE 'sent' END, '', 1, '', '',
                   d.at + interval '30 days',
                   CASE WHEN d.v < CASE WHEN d.u < 0.2 THEN 0.18 ELSE 0.25 END
                        THEN d.at + (1 + floor(d.v * 100)::int % 28) * interval '1 day' END
            FROM accounts_member m
            CROSS JOIN campaigns_automation a
            CROSS JOIN (SELECT MIN(id) AS low, MAX(id) AS high FROM campaigns_automationarm) arms
            CROSS JOIN LATERAL (
                SELECT ('x' || substr(md5('u' || m.id), 1, 8))::bit(32)::bigint / 4294967296.0 AS u,
                       ('x' || substr(md5('v' || m.id), 1, 8))::bit(32)::bigint / 4294967296.0 AS v,
                       now() - interval '60 days' AS at
            ) d
        """)
        _execute("""
            INSERT INTO points_purchase (transaction_id, amount, discount_total, store_credit_used,
                currency, channel, occurred_at, points_earned, explanation, refunded_amount,
                points_reversed, request_hash, response_body, created_at, member_id, store_id)
            SELECT 'B' || d.id, 20 + (d.member_id % 6000) / 100.0, 0, 0, 'EUR', 'offline',
                   d.converted_at, 0, '[]', 0, 0, '', '{}', d.converted_at, d.member_id,
                   (SELECT MIN(id) FROM accounts_store)
            FROM campaigns_delivery d WHERE d.converted_at IS NOT NULL
        """)
        # What campaigns.services.conversions keeps as the purchases are recorded one by one.
        _execute("""
            UPDATE campaigns_delivery d SET window_revenue = p.amount - p.refunded_amount
            FROM points_purchase p WHERE p.transaction_id = 'B' || d.id
        """)
    _execute("ANALYZE")
    print(f"  loaded in {time.perf_counter() - started:.1f} s")


def _median(label: str, figures: dict, work):
    timings, result = [], None
    for _run in range(RUNS):
        started = time.perf_counter()
        result = work()
        timings.append(time.perf_counter() - started)
    figures[label] = round(statistics.median(timings), 3)
    print(f"  {label}: {figures[label]:.3f} s (runs: {', '.join(f'{t:.3f}' for t in timings)})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    name = database_name()
    if _psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") != "1":
        _psql(f'CREATE DATABASE "{name}"')
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from insights import figures as kpis

    call_command("migrate", verbosity=0)
    load(args.members)
    today = timezone.localdate()
    kpi_filter = kpis.KpiFilter(start=today - datetime.timedelta(days=89), end=today)
    figures: dict = {"members": args.members}

    def floor():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM campaigns_delivery")
            return cursor.fetchone()[0]

    _median("floor: one scan of the deliveries", figures, floor)
    report = _median(
        "uplift report (2 queries: deliveries, rewards)", figures, lambda: kpis.uplift(kpi_filter)
    )
    figures["ratio to the floor"] = round(
        figures["uplift report (2 queries: deliveries, rewards)"]
        / max(figures["floor: one scan of the deliveries"], 1e-6),
        1,
    )
    for row in report.rows:
        print(
            f"    {row.name}: {row.treated.members:,} treated, {row.holdout.members:,} held out; "
            f"conversion {row.treated.conversion_rate} % vs {row.holdout.conversion_rate} %, "
            f"uplift {row.conversion_uplift.estimate:.2f} pp "
            f"({row.conversion_uplift.low:.2f} – {row.conversion_uplift.high:.2f})"
        )
    markdown = "\n".join(
        [
            f"# Uplift report on {args.members:,} members",
            "",
            "| measured | seconds |",
            "| --- | --- |",
            *[f"| {label} | {value} |" for label, value in figures.items()],
        ]
    )
    write_results("uplift", {"figures": figures}, markdown + "\n")


if __name__ == "__main__":
    main()
