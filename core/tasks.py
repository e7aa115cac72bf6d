"""Celery tasks of the outbox: thin, each calls one function of `core.outbox`."""

from celery import shared_task

from . import outbox


@shared_task(name="core.outbox_run", acks_late=True)
def outbox_run_task(job_id: int) -> str:
    return outbox.run(job_id)


@shared_task(name="core.outbox_sweep")
def outbox_sweep_task() -> int:
    return outbox.sweep()
