"""A lock per periodic job (and period), so two beat schedulers or an overlapping run never do
the same work at the same time.

- PostgreSQL, connected directly: a session-level advisory lock, released when the block ends
  or the connection dies.
- PostgreSQL behind PgBouncer in transaction mode (`DATABASE_POOLING=transaction`): a session
  lock would stay on whichever server connection took it, and the unlock might go to another, so
  the lock is a lease row (`core.models.JobLease`, its name the primary key) that runs out after
  `timeout_seconds` if its holder dies.
- Elsewhere (SQLite, one writer anyway): a best-effort lock in the cache.

The unique constraints on what the jobs write are the second line of defence either way.
"""

import hashlib
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import JobLease


def _lock_id(name: str) -> int:
    # Advisory locks take a signed 64-bit key.
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def job_lock(name: str, *, timeout_seconds: int = 6 * 60 * 60):
    """Yields True when this process holds the lock for `name`, False when another one does."""
    if connection.vendor == "postgresql" and settings.DATABASE_POOLING:
        token = _lease_take(name, timeout_seconds)
        try:
            yield token is not None
        finally:
            if token is not None:
                JobLease.objects.filter(name=name, token=token).delete()
        return
    if connection.vendor == "postgresql":
        lock_id = _lock_id(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_id])
            acquired = cursor.fetchone()[0]
        try:
            yield acquired
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id])
        return
    key = f"job-lock:{name}"
    acquired = cache.add(key, 1, timeout_seconds)
    try:
        yield acquired
    finally:
        if acquired:
            cache.delete(key)


def _lease_take(name: str, timeout_seconds: int) -> str | None:
    """The lease's token if this process now holds it: a new row, or one whose holder's lease
    ran out. The primary key decides between two processes taking it at once."""
    token = uuid.uuid4().hex
    now = timezone.now()
    expires_at = now + timedelta(seconds=timeout_seconds)
    with transaction.atomic():
        if JobLease.objects.filter(name=name, expires_at__lte=now).update(
            token=token, expires_at=expires_at
        ):
            return token
        try:
            with transaction.atomic():
                JobLease.objects.create(name=name, token=token, expires_at=expires_at)
        except IntegrityError:
            return None
    return token
