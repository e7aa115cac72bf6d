"""Outbox handlers of the campaigns app (see core.outbox): thin, each calls one service."""

from core import outbox

from . import services
from .services.automations import JOB_FULFIL_PENDING
from .services.deliveries import JOB_DELIVERY, JOB_SEND_CHUNK


def _give_up(payload: dict, error: str) -> None:
    services.delivery_give_up(payload["delivery"], error)


@outbox.handler(
    JOB_DELIVERY, atomic=False, max_attempts=services.MAX_SEND_ATTEMPTS, on_give_up=_give_up
)
def delivery_job(payload: dict) -> str:
    return services.delivery_process(payload["delivery"])


@outbox.handler(JOB_SEND_CHUNK, atomic=False)
def deliveries_send_job(payload: dict) -> int:
    return services.deliveries_send_chunk(payload["deliveries"])


# Not atomic: the left-overs are fulfilled batch by batch, each in its own transaction.
@outbox.handler(JOB_FULFIL_PENDING, atomic=False)
def run_fulfil_left_over_job(payload: dict) -> int:
    return services.automation_fulfil_left_over(payload["automation"], period=payload["period"])


# Database-only work: the unwinding and the job's "done" mark commit together.
@outbox.handler(services.JOB_UNWIND)
def unwind_purchase_job(payload: dict) -> dict[str, int]:
    return services.deliveries_unwind_for_purchase(payload["purchase"])


# A staff test message; a retry goes under the same key (the same Message-ID).
@outbox.handler(services.JOB_TEST_MESSAGE, atomic=False)
def test_message_job(payload: dict) -> str:
    return services.automation_test_send(
        automation_id=payload["automation"],
        user_id=payload["user"],
        language=payload["language"],
        key=payload["key"],
    )


# The satisfaction question by message; each invitation is sent once (see the service).
@outbox.handler(services.JOB_SATISFACTION_SEND, atomic=False)
def satisfaction_send_job(payload: dict) -> int:
    return services.satisfaction_invitations_send(payload["invitations"])


# Escalation steps; each is sent once per delivery (see the service).
@outbox.handler(services.JOB_ESCALATION_SEND, atomic=False)
def escalation_send_job(payload: dict) -> int:
    return services.escalations_send(payload["sends"])
