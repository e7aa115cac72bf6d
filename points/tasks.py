"""Celery tasks of the points app: thin wrappers around services."""

import logging

from celery import shared_task

from .extensions import ledger_checks
from .selectors import ledger_mismatches
from .services import points_expire_due, points_release_due
from .services.tiers import tiers_evaluate_due

logger = logging.getLogger(__name__)


@shared_task(name="points.expire")
def points_expire_task() -> int:
    return points_expire_due().points


@shared_task(name="points.pending_release")
def points_release_task() -> int:
    return points_release_due().points


@shared_task(name="points.tiers_evaluate")
def tiers_evaluate_task() -> int:
    return tiers_evaluate_due().downgraded


@shared_task(name="points.ledger_check")
def ledger_check_task() -> int:
    """The nightly reconciliation: any drift between balances and entries is logged as an error."""
    problems = [f"points account {m.account_id}" for m in ledger_mismatches()]
    for check in ledger_checks().values():
        problems.extend(check())
    for problem in problems:
        logger.error("Ledger mismatch: %s", problem)
    return len(problems)
