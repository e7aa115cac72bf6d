"""Celery tasks of the insights app: thin, idempotent, retry-safe; they call services."""

from celery import shared_task

from . import services


# The name it had in the campaigns app: the beat schedules of existing databases call it so.
@shared_task(name="campaigns.kpi_summaries_refresh")
def kpi_summaries_refresh_task() -> int:
    refresh = services.kpi_summaries_refresh()
    return refresh.members if refresh else 0
