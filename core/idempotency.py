"""Writes that happen once per Idempotency-Key: `replay_or_run` is the one way to do it.

The first answer to a write sent with a key is stored in an `IdempotencyRecord`, claimed in the
transaction of the write, and replayed on retries of the same key by the same client. (The other
way, for writes that carry their own id, is a natural key with a unique constraint: a purchase's
transaction_id, a refund's refund_id, an activity's reference.)
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from .errors import IdempotencyConflict
from .models import IdempotencyRecord
from .queries import one_or_none


@dataclass(frozen=True)
class IdempotentAnswer:
    status: int
    body: dict[str, Any]
    replayed: bool


def _replay(record: IdempotencyRecord, *, scope: str, request_hash: str) -> IdempotentAnswer:
    if record.scope != scope or record.request_hash != request_hash:
        raise IdempotencyConflict(field="Idempotency-Key")
    return IdempotentAnswer(status=record.response_status, body=record.response_body, replayed=True)


def replay_or_run(
    *,
    client: str,
    key: str | None,
    scope: str,
    request_hash: str,
    work: Callable[[], tuple[int, dict[str, Any]]],
) -> IdempotentAnswer:
    """Runs `work() -> (status, body)` once per `key` of `client`; a retry gets the first answer.

    An entry point: opens the durable transaction that `work` runs in, so `work` must not open
    one itself. The key is claimed first, before any row lock: a concurrent retry waits on the
    unique index until the first attempt ends, then replays its answer (or, if that attempt
    failed and rolled back, runs the work itself). The same key for another request is a 409.
    Failures roll the claim back with the work: only answers are replayed. Without a key the
    work simply runs.

    No savepoint around the claim (they cost two round trips each time, and the race is rare):
    the loser's whole transaction rolls back, and it replays the winner's answer.
    """
    lookup = {"client": client, "key": key}
    try:
        with transaction.atomic(durable=True):
            if key is None:
                status, body = work()
                return IdempotentAnswer(status=status, body=body, replayed=False)
            existing = one_or_none(IdempotencyRecord.objects.filter(**lookup))
            if existing is not None:
                return _replay(existing, scope=scope, request_hash=request_hash)
            record = IdempotencyRecord.objects.create(
                **lookup, scope=scope, request_hash=request_hash
            )
            status, body = work()
            record.response_status, record.response_body = status, body
            record.save(update_fields=["response_status", "response_body"])
    except IntegrityError:
        # The same key committed meanwhile by a concurrent attempt; anything else is no replay.
        existing = one_or_none(IdempotencyRecord.objects.filter(**lookup)) if key else None
        if existing is None:
            raise
        return _replay(existing, scope=scope, request_hash=request_hash)
    return IdempotentAnswer(status=status, body=body, replayed=False)
