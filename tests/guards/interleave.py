"""Races made deterministic: one transaction stops inside its critical section while another runs.

Each guard test runs two transactions on their own PostgreSQL connections. The first stops at a
chosen call inside the guarded block (after it read what it will write) until the second one has
finished, or PAUSE has passed. With the guard in place the second one waits on the row lock, so
the first one goes on after PAUSE and the second sees its outcome; without it, the second one
slips through and the test sees the lost update.
"""

import threading
from collections.abc import Callable

from django.db import connection

from points.models import PointAccount

PAUSE = 1.0  # seconds: long enough for the other transaction to finish when nothing stops it


class Interleave:
    def __init__(self) -> None:
        self.inside = threading.Event()
        self.other_done = threading.Event()
        self._claimed = threading.Lock()
        self._paused = False

    def pause_before(self, function: Callable) -> Callable:
        """`function`, except that its first caller stops before calling it."""

        def wrapper(*args, **kwargs):
            self._pause_if_first()
            return function(*args, **kwargs)

        return wrapper

    def pause_after(self, function: Callable) -> Callable:
        """`function`, except that its first caller stops once it returned."""

        def wrapper(*args, **kwargs):
            result = function(*args, **kwargs)
            self._pause_if_first()
            return result

        return wrapper

    def _pause_if_first(self) -> None:
        with self._claimed:
            first, self._paused = not self._paused, True
        if first:
            self.inside.set()
            self.other_done.wait(PAUSE)

    def run(self, first: Callable[[], object], second: Callable[[], object]) -> list[object]:
        """Runs `first`, and `second` once `first` is inside; returns each result or exception."""
        results: list[object] = [None, None]

        def target(index: int, work: Callable[[], object]) -> None:
            try:
                if index == 1 and not self.inside.wait(10):
                    raise AssertionError("the first transaction never reached the pause")
                results[index] = work()
            except Exception as error:  # noqa: BLE001 - the test inspects what each got
                results[index] = error
            finally:
                if index == 1:
                    self.other_done.set()
                connection.close()

        threads = [
            threading.Thread(target=target, args=(index, work))
            for index, work in enumerate((first, second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return results


def account_read_without_lock(member_id: int) -> PointAccount:
    """Stands in for `account_lock` where the account lock covers the same race today: the test
    then sees the guard under test alone (the next change may remove the other one)."""
    return PointAccount.objects.get(member_id=member_id)
