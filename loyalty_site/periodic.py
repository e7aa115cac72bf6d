"""The periodic jobs and their default schedules (Europe/Amsterdam wall-clock time).

Installed by a migration (campaigns 0002) and by `manage.py setup_periodic_tasks`; after that
staff change the schedules in admin (Periodic tasks), and neither overwrites their changes.
"""

from django.conf import settings

# (task name, description, minute, hour)
SCHEDULES = [
    # crontab.guru: "5 * * * *" = at minute 5 of every hour
    (
        "campaigns.automations_run",
        "Run scheduled automations (dormant, birthday, expiring)",
        "5",
        "*",
    ),
    # "45 1 * * *" = 01:45 every day
    ("rewards.codes_expire", "Mark expired codes", "45", "1"),
    # "15 2 * * *" = 02:15 every day
    ("points.expire", "Expire points past their date", "15", "2"),
    # "15 3 * * *" = 03:15 every day
    ("points.tiers_evaluate", "Evaluate tier downgrades", "15", "3"),
    # "15 4 * * *" = 04:15 every day
    ("campaigns.member_stats_refresh", "Refresh member figures and RFM scores", "15", "4"),
    # "15 5 * * *" = 05:15 every day
    ("points.ledger_check", "Reconcile ledgers (balance = sum of entries)", "15", "5"),
    # "45 4 * * *" = 04:45 every day, after the member figures and RFM scores
    ("campaigns.kpi_summaries_refresh", "Rebuild the KPI dashboard summaries", "45", "4"),
]

# (task name, description, every N seconds)
INTERVALS = [
    # The outbox's safety net: hands out jobs the broker never got or whose worker died.
    ("core.outbox_sweep", "Hand due background jobs to the workers", 60),
]


def install_periodic_tasks(apps=None) -> int:
    """Creates the periodic tasks that do not exist yet; returns how many were created."""
    if apps is None:
        from django_celery_beat.models import CrontabSchedule, PeriodicTask
    else:
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if apps is None:
        from django_celery_beat.models import IntervalSchedule
    else:
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    created = 0
    for task, description, minute, hour in SCHEDULES:
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
    for task, description, seconds in INTERVALS:
        if PeriodicTask.objects.filter(task=task).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
        PeriodicTask.objects.create(name=description, task=task, interval=interval, enabled=True)
        created += 1
    return created
