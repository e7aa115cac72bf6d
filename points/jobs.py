"""Outbox handlers of the points app (see core.outbox): thin, each calls one service."""

from core import outbox

from .services.import_runs import JOB_MEMBER_IMPORT, member_import_run


# Not atomic: the import writes batch by batch, each in its own transaction, and claims its row
# first, so a second delivery of the job does nothing while the first run is alive.
@outbox.handler(JOB_MEMBER_IMPORT, atomic=False, max_attempts=3)
def member_import_job(payload: dict) -> str:
    return member_import_run(import_id=payload["import"])
