"""Times the KPI dashboard on the 1M-member benchmark database.

    .venv/bin/python -m bench.kpis [--skip-render]

Uses the data set in BENCH_DATABASE_URL (bench.load; 1,000,000 members, ~10M purchases and
ledger entries). Everything this script writes happens inside one transaction that is rolled
back at the end, so the shared data set stays as loaded: this branch's migrations (the summary
tables and their indexes), the nightly summary rebuild, extra history the data set lacks
(tier changes, referrals, survey answers, reactivation offers), a staff user. Then it times every
dashboard query and the full dashboard page for a 90-day and a 12-month period, prints each
figure and writes bench/results/kpis-latest.{md,json}.
"""

import argparse
import datetime
import statistics
import time

from bench.common import ensure_database, timed, write_results

RUNS = 3  # each timing is the median of this many runs (the first one warms the cache)


def _execute(sql: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.rowcount


def add_missing_history(say) -> None:
    """Set-based, inside the rolled-back transaction: what the loaded data set does not have."""
    # Tier changes: an entry tier for everyone at enrolment, upgrades for the silver/gold members.
    _execute("""
        INSERT INTO points_tierchange (account_id, from_tier_id, to_tier_id, reason,
            qualifying_points, created_at)
        SELECT a.id, NULL, (SELECT id FROM points_tier WHERE rank = 1), 'entry', 0, m.enrolled_at
        FROM points_pointaccount a JOIN accounts_member m ON m.id = a.member_id
    """)
    _execute("""
        INSERT INTO points_tierchange (account_id, from_tier_id, to_tier_id, reason,
            qualifying_points, created_at)
        SELECT a.id, (SELECT id FROM points_tier WHERE rank = 1), a.tier_id, 'upgrade', 500,
               now() - (a.id % 700) * interval '1 day'
        FROM points_pointaccount a JOIN points_tier t ON t.id = a.tier_id WHERE t.rank > 1
    """)
    # One member in twenty brought a friend in.
    _execute("""
        UPDATE accounts_member SET referred_by_id = id - 1 WHERE id % 20 = 0
    """)
    # Survey answers from one member in ten over the last year.
    _execute("""
        INSERT INTO campaigns_surveyresponse (member_id, recommend_score, repurchase_score,
            try_new_score, comment, created_at)
        SELECT id, id % 11, 1 + (id / 10) % 10, 1 + (id / 7) % 10, '', now() - (id % 365) * interval '1 day'
        FROM accounts_member WHERE id % 10 = 0
    """)
    # A reactivation automation that made 50,000 offers over the last year.
    _execute("""
        INSERT INTO campaigns_automation (name, trigger, days, bonus_points, reward_newcomer,
            channel, only_reachable, message_subject_nl, message_subject_en, message_body_nl,
            message_body_en, message_sms_nl, message_sms_en, message_whatsapp_nl,
            message_whatsapp_en, cooldown_days, conversion_days, is_active, created_at,
            updated_at, category)
        VALUES ('Bench: terugkomkorting', 'dormant', 90, 50, false, 'email', false, '', '', '', '',
                '', '', '', '', 90, 30, true, now(), now(), '')
    """)
    _execute("""
        INSERT INTO campaigns_delivery (automation_id, member_id, period_key, created_at, channel,
            status, skip_reason, attempts, last_error, offer_expires_at, converted_at)
        SELECT (SELECT MAX(id) FROM campaigns_automation), m.id, 'bench', c.at, 'email', 'sent',
               '', 1, '', c.at + interval '30 days',
               CASE WHEN m.id % 3 = 0 THEN c.at + interval '5 days' END
        FROM accounts_member m
        CROSS JOIN LATERAL (SELECT now() - (m.id % 365) * interval '1 day' AS at) c
        WHERE m.id % 20 = 1
    """)
    _execute("ANALYZE")
    say("  added tier changes, referrals, 100k survey answers, 50k reactivation offers")


def _median(label: str, figures: dict, work) -> object:
    timings, result = [], None
    for _run in range(RUNS):
        started = time.perf_counter()
        result = work()
        timings.append(time.perf_counter() - started)
    figures[label] = round(statistics.median(timings), 3)
    print(f"  {label}: {figures[label]:.3f} s (runs: {', '.join(f'{t:.3f}' for t in timings)})")
    return result


def time_figures(kpi_filter, figures: dict, name: str) -> None:
    from insights import figures as kpis

    series = _median(f"{name}: daily summaries", figures, lambda: kpis.daily_series(kpi_filter))
    checks = [
        (
            "points issued/redeemed/expired, liability",
            lambda: kpis.points_flow(kpi_filter, series=series),
        ),
        ("members by tier", lambda: kpis.members_by_tier(kpi_filter, series=series)),
        ("active vs dormant", lambda: kpis.activity(kpi_filter, series=series)),
        ("churn", lambda: kpis.churn(kpi_filter, series=series)),
        ("repeat purchases and upsell", lambda: kpis.repeat_purchases(kpi_filter, series=series)),
        ("ladder and moves", lambda: kpis.ladder(kpi_filter, series=series)),
        ("RFM grid", lambda: kpis.rfm_grid(kpi_filter)),
        ("NPS", lambda: kpis.nps(kpi_filter)),
        ("loyalty index", lambda: kpis.loyalty_index(kpi_filter)),
        ("reactivation", lambda: kpis.reactivation(kpi_filter)),
        ("all figures", lambda: kpis.dashboard(kpi_filter)),
    ]
    results = {}
    for label, work in checks:
        results[label] = _median(f"{name}: {label}", figures, work)
    board = results["all figures"]
    print(f"  {name} figures:")
    print(
        f"    points: issued {board.points.issued:,}, redeemed {board.points.redeemed:,}, "
        f"expired {board.points.expired:,}, outstanding {board.points.outstanding:,} "
        f"= € {board.points.liability:,}"
    )
    print(f"    tiers at end: {board.tiers.rows[-1][1]}")
    print(f"    activity at end: {board.activity.at_end}")
    print(f"    churn: {board.churn}")
    print(f"    repeat at end: {board.repeat.at_end}")
    print(f"    ladder at end: {board.ladder.at_end}; moves: {board.ladder.moves}")
    print(f"    RFM members: {board.rfm.members:,}")
    print(f"    NPS: {board.nps}; CLI: {board.loyalty_index}")
    print(f"    reactivation: {board.reactivation.total}")


def time_render(kpi_filter, figures: dict, name: str) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    user = get_user_model().objects.filter(username="bench-manager").first()
    if user is None:
        user = get_user_model().objects.create_superuser("bench-manager", "bench@example.com", "x")
    client = Client()
    client.force_login(user)
    url = reverse("admin:insights_kpirefresh_changelist")
    query = {"start": kpi_filter.start.isoformat(), "end": kpi_filter.end.isoformat()}
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        response = _median(f"{name}: dashboard page", figures, lambda: client.get(url, query))
    assert response.status_code == 200, response.status_code
    figures[f"{name}: page size (kB)"] = round(len(response.content) / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-render", action="store_true")
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    ensure_database(members=args.members, fresh=False)
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from insights import figures as kpis
    from insights.services import kpi_summaries_refresh

    figures: dict = {}
    with transaction.atomic():
        with timed("migrate (summary tables)", figures):
            call_command("migrate", verbosity=0)
        add_missing_history(print)
        with timed("nightly rebuild of the summaries", figures):
            kpi_summaries_refresh(progress=lambda message: print(f"    {message}"))
        _execute("ANALYZE")
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM insights_dailycount")
            figures["daily count summary (rows)"] = cursor.fetchone()[0]
        today = timezone.localdate()
        periods = {
            "90 days": kpis.KpiFilter(start=today - datetime.timedelta(days=89), end=today),
            "12 months": kpis.KpiFilter(
                start=today.replace(year=today.year - 1) + datetime.timedelta(days=1), end=today
            ),
        }
        for name, kpi_filter in periods.items():
            time_figures(kpi_filter, figures, name)
            if not args.skip_render:
                time_render(kpi_filter, figures, name)
        store_filter = kpis.KpiFilter(start=periods["90 days"].start, end=today, store_id=1)
        time_figures(store_filter, figures, "90 days, one store")
        transaction.set_rollback(True)
    markdown = "\n".join(
        [
            "# KPI dashboard on 1,000,000 members",
            "",
            "| measured | seconds (rows, kB where named) |",
            "| --- | --- |",
        ]
        + [f"| {label} | {value} |" for label, value in figures.items()]
    )
    write_results("kpis", {"figures": figures}, markdown + "\n")


if __name__ == "__main__":
    main()
