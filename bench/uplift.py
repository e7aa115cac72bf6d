"""Times the uplift report on 1,000,000 held-out and treated members.

    BENCH_DATABASE_URL=postgres://…/loyalty_uplift_bench .venv/bin/python -m bench.uplift

Self-contained (it does not need the 10M-purchase data set of bench.load): in its own database
it writes, set-based, 1,000,000 members, one finished reactivation automation with two variants
and a 20 % holdout, a delivery per member placed as the assignment would (the hash computed in
SQL here only for speed of loading; the report does not care how members were placed), and a
purchase for each member who came back (25 % with the offer, 18 % without), and the window
revenue the recording of those purchases keeps on each delivery. It adds a finished two-week
bonus campaign holding out 20 % of all 1,000,000 members (placed by the same SHA-256 draw as
`campaigns.assignment.bonus_held_out`, computed in SQL here only for loading speed), with a
purchase in its window for 30 % of the treated members and 25 % of the held-out ones, the
campaign's points in the treated purchases' explanation. It times the batch job's two steps once
(the audience count at the start, the recount of the window's purchases) and then the report
(median of 3), automations and bonus campaign together, against a floor measured in the same
run: one full scan of the deliveries (`SELECT COUNT(*)`); and, beside the recount, one scan of
the window's purchases. Results: bench/results/uplift-latest.{md,json}.
"""

import argparse
import datetime
import statistics
import time

from bench.common import _psql, database_name, setup_django, write_results

RUNS = 3
REPORT = "uplift report (automations: 2 queries; bonus campaign: its stored sums)"


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
            "campaigns_bonuscampaign, points_purchase, points_pointaccount, accounts_store, "
            "accounts_member CASCADE"
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


BONUS_NAME = "Bench: dubbele punten"
# Held out when the draw (first 8 bytes of the SHA-256, unsigned) is below 20 % of 2**64: as a
# signed bigint, between 0 and float(0.2) * 2**64 (the same comparison the Python float makes).
HELD_OUT_BELOW = int(0.2 * 2**64)


def load_bonus_campaign() -> None:
    """Writes the bonus campaign and its window's purchases unless they are there already."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM campaigns_bonuscampaign WHERE name_nl = %s", [BONUS_NAME]
        )
        if cursor.fetchone()[0]:
            print("Using the bonus campaign already loaded.")
            return
    print("Loading a bonus campaign with a 20 % holdout and its purchases …")
    started = time.perf_counter()
    with transaction.atomic():
        _execute(
            """
            INSERT INTO campaigns_bonuscampaign (name_nl, name_en, kind, multiplier, bonus_points,
                minimum_spend, starts_at, ends_at, channel, categories, skus, is_active,
                created_at, updated_at, holdout_percent)
            VALUES (%s, 'Bench: double points', 'multiplier', 2, 0, 0,
                    now() - interval '50 days', now() - interval '36 days', '', '', '', false,
                    now(), now(), 20)
            """,
            [BONUS_NAME],
        )
        _execute(
            """
            INSERT INTO points_purchase (transaction_id, amount, discount_total,
                store_credit_used, currency, channel, occurred_at, points_earned, explanation,
                refunded_amount, points_reversed, request_hash, response_body, created_at,
                member_id, store_id)
            SELECT 'C' || m.id, d.amount, 0, 0, 'EUR', 'offline', d.at,
                   CASE WHEN d.held THEN 1 ELSE 2 END * floor(d.amount),
                   jsonb_build_array(jsonb_build_object('source', 'rule', 'source_id', 1,
                       'label', 'Basis', 'points', floor(d.amount)))
                   || CASE WHEN d.held THEN '[]'::jsonb ELSE jsonb_build_array(
                       jsonb_build_object('source', 'campaign', 'source_id', c.id,
                       'label', 'Bench', 'points', floor(d.amount))) END,
                   0, 0, '', '{}', d.at, m.id, (SELECT MIN(id) FROM accounts_store)
            FROM accounts_member m
            CROSS JOIN campaigns_bonuscampaign c
            CROSS JOIN LATERAL (
                SELECT ('x' || encode(substring(sha256(convert_to(
                           'bonus-holdout:' || c.id || ':' || m.id, 'UTF8')) FROM 1 FOR 8),
                           'hex'))::bit(64)::bigint AS draw,
                       ('x' || substr(md5('w' || m.id), 1, 8))::bit(32)::bigint
                           / 4294967296.0 AS w
            ) h
            CROSS JOIN LATERAL (
                SELECT h.draw >= 0 AND h.draw < %s AS held,
                       20 + (m.id %% 6000) / 100.0 AS amount,
                       c.starts_at + interval '10 hours'
                           + floor(h.w * 1000)::int %% 14 * interval '1 day' AS at
            ) d
            WHERE c.name_nl = %s AND h.w < CASE WHEN d.held THEN 0.25 ELSE 0.30 END
            """,
            [HELD_OUT_BELOW, BONUS_NAME],
        )
    _execute("ANALYZE")
    print(f"  loaded in {time.perf_counter() - started:.1f} s")


def _once(label: str, figures: dict, work):
    started = time.perf_counter()
    result = work()
    figures[label] = round(time.perf_counter() - started, 3)
    print(f"  {label}: {figures[label]:.3f} s")
    return result


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
    load_bonus_campaign()
    today = timezone.localdate()
    kpi_filter = kpis.KpiFilter(start=today - datetime.timedelta(days=89), end=today)
    figures: dict = {"members": args.members}

    def floor():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM campaigns_delivery")
            return cursor.fetchone()[0]

    from campaigns.models import BonusAudience, BonusCampaign
    from campaigns.services import bonus_audience_count, bonus_audience_results_refresh

    campaign = BonusCampaign.objects.get(name_nl=BONUS_NAME)

    def purchases_floor():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*), SUM(amount) FROM points_purchase "
                "WHERE occurred_at >= %s AND occurred_at < %s",
                [campaign.starts_at, campaign.ends_at],
            )
            return cursor.fetchone()[0]

    BonusAudience.objects.filter(campaign=campaign).delete()
    counted = _once(
        "bonus campaign batch job: audience count (1,000,000 members)",
        figures,
        lambda: bonus_audience_count(campaign, now=timezone.now()),
    )
    _once(
        "bonus campaign batch job: purchases recount",
        figures,
        lambda: bonus_audience_results_refresh(counted, now=timezone.now()),
    )
    _median("floor: one scan of the window's purchases", figures, purchases_floor)
    _median("floor: one scan of the deliveries", figures, floor)
    report = _median(REPORT, figures, lambda: kpis.uplift(kpi_filter))
    figures["ratio to the floor"] = round(
        figures[REPORT] / max(figures["floor: one scan of the deliveries"], 1e-6), 1
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
