"""Celery tasks of the campaigns app: thin, idempotent, retry-safe; they call services."""

from celery import shared_task

from . import services


@shared_task(name="campaigns.automations_run")
def automations_run_task() -> int:
    return sum(run.created for run in services.automations_run_due())


@shared_task(name="campaigns.member_stats_refresh")
def member_stats_refresh_task() -> int:
    return services.member_stats_refresh()


@shared_task(name="campaigns.personal_data_purge")
def personal_data_purge_task() -> dict[str, int]:
    return services.personal_data_purge()


@shared_task(name="campaigns.bonus_audiences_refresh")
def bonus_audiences_refresh_task() -> int:
    return services.bonus_audiences_refresh_due()
