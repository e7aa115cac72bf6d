"""Celery tasks of the campaigns app: thin, idempotent, retry-safe; they call services."""

from celery import shared_task

from . import services
from .messaging import SendError


@shared_task(name="campaigns.automations_run")
def automations_run_task() -> int:
    return sum(run.created for run in services.automations_run_due())


@shared_task(name="campaigns.delivery_fulfil")
def delivery_fulfil_task(delivery_id: int) -> int:
    return len(services.deliveries_fulfil([delivery_id]))


@shared_task(
    bind=True,
    name="campaigns.delivery_send",
    acks_late=True,
    max_retries=services.MAX_SEND_ATTEMPTS - 1,
    retry_backoff=30,
    retry_backoff_max=60 * 60,
)
def delivery_send_task(self, delivery_id: int) -> str:
    try:
        return services.delivery_send(delivery_id)
    except SendError as error:
        if self.request.retries >= self.max_retries:
            services.delivery_give_up(delivery_id, str(error))
            return "gave_up"
        raise self.retry(exc=error, countdown=min(60 * 60, 30 * 2**self.request.retries)) from error


@shared_task(name="campaigns.deliveries_send", acks_late=True)
def deliveries_send_task(delivery_ids: list[int]) -> int:
    """Sends a chunk of messages; one that fails goes on alone, with its own retries."""
    sent = 0
    for delivery_id in delivery_ids:
        try:
            sent += services.delivery_send(delivery_id) == "sent"
        except SendError:
            delivery_send_task.apply_async((delivery_id,), countdown=30)
    return sent


@shared_task(name="campaigns.member_stats_refresh")
def member_stats_refresh_task() -> int:
    return services.member_stats_refresh()


@shared_task(name="campaigns.kpi_summaries_refresh")
def kpi_summaries_refresh_task() -> int:
    refresh = services.kpi_summaries_refresh()
    return refresh.members if refresh else 0
