"""The periodic jobs and their default schedules (Europe/Amsterdam wall-clock time).

Installed by migrations (campaigns 0002, 0004 and 0009, core 0001, each with a frozen copy) and by
`manage.py setup_periodic_tasks`; after that
staff change the schedules in admin (Periodic tasks), and neither overwrites their changes.
"""

from django.conf import settings

# (task name, description, minute, hour, the same job as a management command for cron)
SCHEDULES = [
    # crontab.guru: "5 * * * *" = at minute 5 of every hour
    (
        "campaigns.automations_run",
        "Run scheduled automations (dormant, birthday, expiring)",
        "5",
        "*",
        ["run_automations"],
    ),
    # "*/10 * * * *" = every 10 minutes: a bonus campaign's audience is counted soon after it
    # starts, its purchases hourly while it runs (most of the time: nothing due, two small
    # indexed queries)
    (
        "campaigns.bonus_audiences_refresh",
        "Count the audience and purchases of bonus campaigns with a holdout",
        "*/10",
        "*",
        ["refresh_bonus_audiences"],
    ),
    # "25 * * * *" = at minute 25 of every hour: pending points are spendable within the hour
    # their return window ends
    (
        "points.pending_release",
        "Release pending points whose return window ended",
        "25",
        "*",
        ["release_pending_points"],
    ),
    # "45 1 * * *" = 01:45 every day
    ("rewards.codes_expire", "Mark expired codes", "45", "1", ["expire_codes"]),
    # "15 2 * * *" = 02:15 every day
    ("points.expire", "Expire points past their date", "15", "2", ["expire_points"]),
    # "15 3 * * *" = 03:15 every day
    ("points.tiers_evaluate", "Evaluate tier downgrades", "15", "3", ["evaluate_tiers"]),
    # "35 3 * * *" = 03:35 every day
    (
        "campaigns.personal_data_purge",
        "Remove personal data past its retention period",
        "35",
        "3",
        ["purge_personal_data"],
    ),
    # "15 4 * * *" = 04:15 every day
    (
        "campaigns.member_stats_refresh",
        "Refresh member figures and RFM scores",
        "15",
        "4",
        ["refresh_member_stats"],
    ),
    # "15 5 * * *" = 05:15 every day
    (
        "points.ledger_check",
        "Reconcile ledgers (balance = sum of entries)",
        "15",
        "5",
        ["check_ledger"],
    ),
    # "45 4 * * *" = 04:45 every day, after the member figures and RFM scores
    (
        "campaigns.kpi_summaries_refresh",
        "Rebuild the KPI dashboard summaries",
        "45",
        "4",
        ["refresh_kpis"],
    ),
]

# (task name, description, every N seconds, the management command)
INTERVALS = [
    # The outbox's safety net: hands out jobs the broker never got or whose worker died.
    # Without Celery, cron runs `outbox drain` instead (it runs the jobs in its own process).
    ("core.outbox_sweep", "Hand due background jobs to the workers", 60, ["outbox", "sweep"]),
]


def install_periodic_tasks() -> int:
    """Creates the periodic tasks that do not exist yet; returns how many were created.

    (Migrations install the schedules of their time with frozen copies, never through this.)
    """
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    created = 0
    for task, description, minute, hour, _command in SCHEDULES:
        if PeriodicTask.objects.filter(task=task).exists():
            continue
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=settings.TIME_ZONE,
        )
        PeriodicTask.objects.create(name=description, task=task, crontab=schedule, enabled=True)
        created += 1
    for task, description, seconds, _command in INTERVALS:
        if PeriodicTask.objects.filter(task=task).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
        PeriodicTask.objects.create(name=description, task=task, interval=interval, enabled=True)
        created += 1
    return created
