"""Run callables in parallel threads, each with its own database connection."""

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from unittest import mock

from django.db import connection, connections

from core.locks import _lock_id, job_lock


def run_in_parallel(work: Callable[[int], object], count: int) -> list[object]:
    """Starts `count` threads at the same instant; returns each result or raised exception."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def pause_first_call(target, attribute: str, seconds: float = 0.6):
    """Patches `target.attribute` so that its first call (in whichever thread) sleeps first."""
    real = getattr(target, attribute)
    first = threading.Lock()

    def paused(*args, **kwargs):
        if first.acquire(blocking=False):
            time.sleep(seconds)
        return real(*args, **kwargs)

    return mock.patch.object(target, attribute, paused)


@contextmanager
def held_elsewhere(name: str):
    """Holds a job lock as another process would: on PostgreSQL from a second connection
    (advisory locks are re-entrant within one session)."""
    if connection.vendor != "postgresql":
        with job_lock(name) as acquired:
            assert acquired
            yield
        return
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_lock_id(name)])
        yield
        # Released before closing: a closed connection's server process lets its session locks
        # go only when it exits, a moment later, so the caller's next try could still fail.
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_lock_id(name)])
    finally:
        other.close()
