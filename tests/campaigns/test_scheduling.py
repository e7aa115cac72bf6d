import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from loyalty_site.periodic import INTERVALS, SCHEDULES

pytestmark = pytest.mark.django_db


def test_a_migration_installs_every_periodic_job_with_a_schedule():
    tasks = {task.task: task for task in PeriodicTask.objects.select_related("crontab")}
    assert set(tasks) >= {task for task, *_ in SCHEDULES}
    assert tasks["campaigns.automations_run"].crontab.minute == "5"
    assert str(tasks["points.expire"].crontab.timezone) == "Europe/Amsterdam"


def test_setup_keeps_the_schedules_staff_changed(capsys):
    task = PeriodicTask.objects.get(task="points.expire")
    task.crontab.hour = "6"
    task.crontab.save()
    call_command("setup_periodic_tasks")
    assert "0 of" in capsys.readouterr().out
    assert PeriodicTask.objects.get(task="points.expire").crontab.hour == "6"


def test_every_scheduled_task_is_registered_with_celery():
    from loyalty_site.celery import app

    app.loader.import_default_modules()
    for task, *_ in [*SCHEDULES, *INTERVALS]:
        assert task in app.tasks, task


@pytest.mark.parametrize(
    "command", [command for *_, command in [*SCHEDULES, *INTERVALS]], ids=" ".join
)
def test_every_periodic_job_is_also_a_command(command):
    call_command(*command)
