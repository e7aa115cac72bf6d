# The nightly retention purge (campaigns.services.retention) on the beat schedule.

from django.conf import settings
from django.db import migrations

# Frozen: replaying history installs the schedule of that time. "35 3 * * *" = 03:35 daily.
TASK = "campaigns.personal_data_purge"
DESCRIPTION = "Remove personal data past its retention period"


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(task=TASK).exists():
        return
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="35",
        hour="3",
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
        ("campaigns", "0009_erasable_messages"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, remove)]
