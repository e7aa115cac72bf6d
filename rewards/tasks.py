from celery import shared_task

from .services import codes_expire_due


@shared_task(name="rewards.codes_expire")
def codes_expire_task() -> int:
    return codes_expire_due()
