# The hourly release of pending points (points.services.pending) on the beat schedule.

from django.conf import settings
from django.db import migrations

# Frozen: replaying history installs the schedule of that time. "25 * * * *" = minute 25 hourly.
TASK = "points.pending_release"
DESCRIPTION = "Release pending points whose return window ended"


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(task=TASK).exists():
        return
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="25",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.create(name=DESCRIPTION, task=TASK, crontab=schedule, enabled=True)


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0013_pending_points_and_chain_refunds"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
