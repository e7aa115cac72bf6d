"""Writes that happen once per Idempotency-Key: `replay_or_run` is the one way to do it.

The first answer to a write sent with a key is stored in an `IdempotencyRecord` as the bytes
that were sent (with their status and headers), claimed in the transaction of the write, and
replayed byte for byte on retries of the same key by the same client. (The other way, for writes
that carry their own id, is a natural key with a unique constraint: a purchase's transaction_id,
a refund's refund_id, an activity's reference.)
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from .errors import IdempotencyConflict
from .models import IdempotencyRecord
from .queries import one_or_none


@dataclass(frozen=True)
class StoredAnswer:
    """An answer as it was sent: status, the exact bytes of the body, and its headers."""

    status: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IdempotentAnswer:
    answer: StoredAnswer
    replayed: bool


def _replay(record: IdempotencyRecord, *, scope: str, request_hash: str) -> IdempotentAnswer:
    if record.scope != scope or record.request_hash != request_hash:
        raise IdempotencyConflict(field="Idempotency-Key")
    answer = StoredAnswer(
        status=record.response_status,
        content=bytes(record.response_content),
        headers=dict(record.response_headers),
    )
    return IdempotentAnswer(answer=answer, replayed=True)


def replay_or_run(
    *,
    client: str,
    key: str | None,
    scope: str,
    request_hash: str,
    work: Callable[[], StoredAnswer],
) -> IdempotentAnswer:
    """Runs `work() -> StoredAnswer` once per `key` of `client`; a retry gets the first answer's
    bytes.

    An entry point: opens the durable transaction that `work` runs in, so `work` must not open
    one itself (services it calls join it). The key is claimed first, before any row lock: a
    concurrent retry waits on the unique index until the first attempt ends, then replays its
    answer (or, if that attempt failed and rolled back, runs the work itself). The same key for
    another request is a 409. Failures roll the claim back with the work: only answers are
    replayed. Without a key the work simply runs.

    No savepoint around the claim (they cost two round trips each time, and the race is rare):
    the loser's whole transaction rolls back, and it replays the winner's answer.
    """
    lookup = {"client": client, "key": key}
    try:
        with transaction.atomic(durable=True):
            if key is None:
                return IdempotentAnswer(answer=work(), replayed=False)
            existing = one_or_none(IdempotencyRecord.objects.filter(**lookup))
            if existing is not None:
                return _replay(existing, scope=scope, request_hash=request_hash)
            record = IdempotencyRecord.objects.create(
                **lookup, scope=scope, request_hash=request_hash
            )
            answer = work()
            record.response_status = answer.status
            record.response_content = answer.content
            record.response_headers = dict(answer.headers)
            record.save(update_fields=["response_status", "response_content", "response_headers"])
    except IntegrityError:
        # The same key committed meanwhile by a concurrent attempt; anything else is no replay.
        existing = one_or_none(IdempotencyRecord.objects.filter(**lookup)) if key else None
        if existing is None:
            raise
        return _replay(existing, scope=scope, request_hash=request_hash)
    return IdempotentAnswer(answer=answer, replayed=False)
