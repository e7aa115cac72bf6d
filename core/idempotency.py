"""Idempotency records: the first answer to a write sent with an Idempotency-Key, replayed on
retries of the same key by the same client."""

from django.db import IntegrityError, transaction

from .errors import IdempotencyConflict
from .models import IdempotencyRecord
from .queries import one_or_none


def idempotency_record_claim(
    *, client: str, key: str, scope: str, request_hash: str
) -> tuple[IdempotencyRecord, bool]:
    """Inside the caller's transaction: returns (record, is_new).

    A new record holds the unique key until the caller's transaction ends; a concurrent request
    with the same key waits on it, then receives the committed record (is_new False).
    """
    existing = one_or_none(IdempotencyRecord.objects.filter(client=client, key=key))
    if existing is None:
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    client=client, key=key, scope=scope, request_hash=request_hash
                )
            return record, True
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(client=client, key=key)
    if existing.scope != scope or existing.request_hash != request_hash:
        raise IdempotencyConflict(field="Idempotency-Key")
    return existing, False


def idempotency_record_find(
    *, client: str, key: str, scope: str, request_hash: str
) -> IdempotencyRecord | None:
    """The recorded answer for this key, or None; the key used for another request is a 409."""
    existing = one_or_none(IdempotencyRecord.objects.filter(client=client, key=key))
    if existing is not None and (existing.scope != scope or existing.request_hash != request_hash):
        raise IdempotencyConflict(field="Idempotency-Key")
    return existing


def idempotency_record_save(
    *, client: str, key: str, scope: str, request_hash: str, status: int, body: dict
) -> IdempotencyRecord:
    """Inside the transaction of the write it answers; a concurrent twin makes the unique
    constraint raise IntegrityError, which the caller turns into a replay."""
    return IdempotencyRecord.objects.create(
        client=client,
        key=key,
        scope=scope,
        request_hash=request_hash,
        response_status=status,
        response_body=body,
    )
