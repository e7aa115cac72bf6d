from django.conf import settings
from django.db import migrations

from accounts.append_only import ProtectAppendOnly

# (task name, description, minute, hour), Europe/Amsterdam wall-clock time
SCHEDULES = [
    ("campaigns.automations_run", "Run scheduled automations (dormant, birthday, expiring)", "5", "*"),
    ("rewards.codes_expire", "Mark expired codes", "45", "1"),
    ("points.expire", "Expire points past their date", "15", "2"),
    ("points.tiers_evaluate", "Evaluate tier downgrades", "15", "3"),
    ("campaigns.member_stats_refresh", "Refresh member figures and RFM scores", "15", "4"),
    ("points.ledger_check", "Reconcile ledgers (balance = sum of entries)", "15", "5"),
]

def install(apps, schema_editor):
    """Creates the periodic tasks that do not exist yet (frozen here: replaying history installs
    the schedule of that time, not today's)."""
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
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


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
        ProtectAppendOnly("campaigns_outboundmessage"),
    ]
