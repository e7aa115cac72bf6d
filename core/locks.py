"""A lock per periodic job (and period), so two beat schedulers or an overlapping run never do
the same work at the same time.

PostgreSQL: a session-level advisory lock, released when the block ends or the connection dies.
Elsewhere (SQLite, one writer anyway): a best-effort lock in the cache. The unique constraints on
what the jobs write are the second line of defence either way.
"""

import hashlib
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection


def _lock_id(name: str) -> int:
    # Advisory locks take a signed 64-bit key.
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def job_lock(name: str, *, timeout_seconds: int = 6 * 60 * 60):
    """Yields True when this process holds the lock for `name`, False when another one does."""
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
