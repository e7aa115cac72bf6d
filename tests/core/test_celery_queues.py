"""Batch runs and till-facing work go to different Celery queues (separate workers), so a night's
expiry or automation run never sits in front of a welcome bonus or a message send."""

import pytest
from django.conf import settings

from loyalty_site.celery import app
from loyalty_site.periodic import SCHEDULES

TILL_FACING = {"core.outbox_run", "core.outbox_sweep"}


def _queue(task_name: str) -> str:
    app.loader.import_default_modules()
    route = app.amqp.router.route({}, task_name)
    return route["queue"].name


def _our_tasks() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if not name.startswith("celery.")}


@pytest.mark.parametrize("name", sorted(TILL_FACING))
def test_till_facing_work_goes_to_the_default_queue(name):
    assert _queue(name) == settings.CELERY_TASK_DEFAULT_QUEUE == "celery"


@pytest.mark.parametrize("name", sorted(settings.CELERY_BATCH_TASKS))
def test_batch_jobs_go_to_the_batch_queue(name):
    assert _queue(name) == "batch"


def test_every_task_is_routed_on_purpose():
    """A new task must be placed in one queue or the other, not land on the default by chance."""
    assert _our_tasks() == TILL_FACING | set(settings.CELERY_BATCH_TASKS)


def test_every_scheduled_job_except_the_sweep_is_a_batch_job():
    scheduled = {name for name, *_rest in SCHEDULES}
    assert scheduled - {"core.outbox_sweep"} <= set(settings.CELERY_BATCH_TASKS)
    assert _queue("core.outbox_sweep") != _queue("points.expire")
