"""Outbox handlers of the accounts app (see core.outbox)."""

from core import outbox

from . import portal

JOB_LOGIN_LINK = "accounts.login_link_send"


@outbox.handler(JOB_LOGIN_LINK, atomic=False, max_attempts=3, forget_payload=True)
def login_link_job(payload: dict) -> None:
    portal.login_link_send(member_id=payload["member"], link=payload["link"])
