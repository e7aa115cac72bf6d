"""Times the dormant (reactivation) automation end to end over the whole member base.

    .venv/bin/python -m bench.dormant [--members 1000000] [--days 180] [--send-sample 2000]

Phases: finding dormant members and creating their deliveries (set-based INSERT … SELECT per
member-id range), issuing a code to each (bulk), and sending the messages (rendered e-mail through
Django's mail framework to a dummy backend, in-process as an eager Celery task would). Sending is
measured on a sample and given as messages per second per worker, because in production it is
spread over workers. The same work done by one hand-written SQL statement per step is timed on
the same data for comparison. Everything the run writes is removed afterwards.
"""

import argparse
import time

from bench.common import ensure_database, timed, write_results


def _cleanup(automation) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # The bench removes what it wrote, append-only tables included: triggers off for this.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "DELETE FROM campaigns_outboundmessage WHERE delivery_id IN (SELECT id FROM campaigns_delivery WHERE automation_id = %s)",
            [automation.pk],
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_codes AS SELECT issued_reward_id AS id FROM campaigns_delivery WHERE automation_id = %s AND issued_reward_id IS NOT NULL",
            [automation.pk],
        )
        cursor.execute("DELETE FROM campaigns_delivery WHERE automation_id = %s", [automation.pk])
        cursor.execute("DELETE FROM core_outboxjob WHERE kind LIKE 'campaigns.%%'")
        cursor.execute("DELETE FROM rewards_issuedreward WHERE id IN (SELECT id FROM bench_codes)")
        cursor.execute("DROP TABLE bench_codes")
        cursor.execute(
            "DELETE FROM campaigns_automationrun WHERE automation_id = %s", [automation.pk]
        )
        cursor.execute("DELETE FROM campaigns_automation WHERE id = %s", [automation.pk])
        cursor.execute("SET session_replication_role = DEFAULT")


def _rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports kB)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def hand_written_sql(*, days: int, reward_id: int) -> dict:
    """The floor: the same inserts as single SQL statements, committed like the app's run (the
    commit flushes the WAL, a real part of the cost), then removed."""
    from types import SimpleNamespace

    from django.db import connection, transaction

    figures = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO campaigns_automation (name, trigger, days, every_n, category, reward_validity_days, bonus_points, reward_newcomer, channel, only_reachable, message_subject_nl, message_subject_en, message_body_nl, message_body_en, message_sms_nl, message_sms_en, message_whatsapp_nl, message_whatsapp_en, cooldown_days, conversion_days, is_active, created_at, updated_at, reward_id) "
            "VALUES ('sql floor', 'dormant', %s, NULL, '', NULL, 0, false, 'email', false, '', '', '', '', '', '', '', '', 90, 30, false, now(), now(), %s) RETURNING id",
            [days, reward_id],
        )
        automation_id = cursor.fetchone()[0]
    commit_started = None
    with transaction.atomic():
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(
                """INSERT INTO campaigns_delivery (automation_id, member_id, period_key, created_at, status, skip_reason, channel, attempts, last_error, provider_reference)
                   SELECT %s, m.id, 'sql', now(), 'pending', '', '', 0, '', ''
                   FROM accounts_member m JOIN campaigns_memberstats s ON s.member_id = m.id
                   WHERE m.status = 'active' AND s.last_purchase_at <= now() - %s * interval '1 day'
                   ON CONFLICT DO NOTHING""",
                [automation_id, days],
            )
            figures["deliveries"] = cursor.rowcount
            figures["sql_insert_deliveries_s"] = round(time.perf_counter() - started, 3)
            started = time.perf_counter()
            cursor.execute(
                """INSERT INTO rewards_issuedreward (reward_id, member_id, code, status, source, value, minimum_spend, points_spent, source_reference, issued_at, expires_at, revoked_reason, budget_owner, budget_periods, budget_cost)
                   SELECT %s, d.member_id, upper(substr(md5(random()::text || d.id), 1, 12)), 'issued', 'campaign', 5, 15, 0, 'sql', now(), now() + interval '30 days', '', '', '', 0
                   FROM campaigns_delivery d WHERE d.automation_id = %s""",
                [reward_id, automation_id],
            )
            cursor.execute(
                """UPDATE campaigns_delivery d SET issued_reward_id = r.id, fulfilled_at = now(), offer_expires_at = r.expires_at
                   FROM rewards_issuedreward r WHERE r.source_reference = 'sql' AND r.member_id = d.member_id AND d.automation_id = %s""",
                [automation_id],
            )
            figures["sql_issue_codes_s"] = round(time.perf_counter() - started, 3)
        commit_started = time.perf_counter()
    figures["sql_commit_s"] = round(time.perf_counter() - commit_started, 3)
    figures["sql_total_s"] = round(
        figures["sql_insert_deliveries_s"] + figures["sql_issue_codes_s"] + figures["sql_commit_s"],
        3,
    )
    _cleanup(SimpleNamespace(pk=automation_id))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE campaigns_delivery")
        cursor.execute("VACUUM ANALYZE rewards_issuedreward")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=180, help="dormant after this many days")
    parser.add_argument(
        "--send-sample", type=int, default=2000, help="messages to send for the send rate"
    )
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()

    ensure_database(members=args.members, fresh=args.fresh)
    from django.db import connection
    from django.test.utils import override_settings

    from campaigns.models import Automation, Delivery
    from campaigns.services import automation_run
    from campaigns.services.deliveries import delivery_send
    from rewards.models import Reward

    reward = Reward.objects.get(name_nl="€5 welkom terug")
    figures: dict = {"members": args.members, "dormant_after_days": args.days}
    print(f"Dormant automation over {args.members:,} members (no purchase for {args.days} days)")
    floor = hand_written_sql(days=args.days, reward_id=reward.pk)
    print(f"  hand-written SQL: {floor['deliveries']:,} deliveries in {floor['sql_total_s']:.2f} s")
    figures.update(floor)

    automation = Automation.objects.create(
        name="bench reactivation",
        trigger="dormant",
        days=args.days,
        reward=reward,
        channel="email",
        cooldown_days=90,
    )
    rss_before = _rss_mb()
    try:
        # Messages are measured separately below: the run writes its send jobs to the outbox
        # (part of the measured work) but does not hand them to a broker.
        with timed("app_run_s", figures):
            import core.outbox as outbox_module

            real_publish = outbox_module.publish
            outbox_module.publish = lambda job_ids: 0
            last = [time.perf_counter()]

            def progress(step):
                if time.perf_counter() - last[0] > 5:
                    last[0] = time.perf_counter()
                    print(
                        f"    {100 * step.members_seen // step.members_total:3d}% … {step.created:,} deliveries"
                    )

            try:
                run = automation_run(automation, batch_size=50_000, progress=progress)
            finally:
                outbox_module.publish = real_publish
        enqueued = list(
            Delivery.objects.filter(
                automation=automation, status="pending", fulfilled_at__isnull=False
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Peak resident memory of this process: bounded by one batch, not by the member count.
        figures["memory_before_mb"] = rss_before
        figures["memory_peak_mb"] = _rss_mb()
        print(
            f"  memory: {rss_before:.0f} MB before the run, peak {figures['memory_peak_mb']:.0f} MB"
        )
        figures["app_deliveries"] = run.created
        figures["app_messages_enqueued"] = len(enqueued)
        figures["ratio_app_to_sql"] = round(
            figures["app_run_s"] / max(floor["sql_total_s"], 0.001), 2
        )
        print(
            f"  app: {run.created:,} deliveries and codes in {figures['app_run_s']:.2f} s "
            f"({figures['ratio_app_to_sql']}× the hand-written SQL)"
        )

        sample = enqueued[: args.send_sample]
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            started = time.perf_counter()
            for delivery_id in sample:
                delivery_send(delivery_id)
            elapsed = time.perf_counter() - started
        figures["send_sample"] = len(sample)
        figures["send_per_second_per_worker"] = round(len(sample) / elapsed, 1) if sample else None
        sent = Delivery.objects.filter(automation=automation, status="sent").count()
        print(
            f"  sending: {len(sample):,} e-mails rendered and sent in {elapsed:.2f} s "
            f"= {figures['send_per_second_per_worker']}/s per worker ({sent:,} marked sent)"
        )
        if sample:
            figures["send_all_estimate_one_worker_s"] = round(
                len(enqueued) / figures["send_per_second_per_worker"], 1
            )
    finally:
        _cleanup(automation)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE campaigns_delivery")
            cursor.execute("VACUUM ANALYZE rewards_issuedreward")

    markdown = (
        f"# Dormant automation, {args.members:,} members\n\n"
        "| measure | value |\n| --- | --- |\n"
        f"| dormant members (deliveries) | {figures['app_deliveries']:,} |\n"
        f"| app: find, create deliveries, issue codes | {figures['app_run_s']:.2f} s |\n"
        f"| hand-written SQL, same inserts | {floor['sql_total_s']:.2f} s |\n"
        f"| ratio app ÷ SQL | {figures['ratio_app_to_sql']} |\n"
        f"| e-mails per second per worker | {figures.get('send_per_second_per_worker')} |\n"
        f"| memory of the process: before the run, peak | {figures['memory_before_mb']:.0f} MB, "
        f"{figures['memory_peak_mb']:.0f} MB |\n"
    )
    write_results("dormant", {"figures": figures}, markdown)


if __name__ == "__main__":
    main()
