"""Limits on failed code checks, so codes cannot be found by trying.

Checks are counted per POS key and per member in the cache (Redis in production, so every
process shares the counts), in fixed windows. The budget is *reserved* before any code is
looked up: one atomic `incr` per counter takes one check per code in the request, and when
that goes past the limit the request is refused whole (and the reservation given back), so no
request ever evaluates more codes than the budget has left, however many run in parallel.
After the evaluation the checks that found the member's own code are given back: only misses
stay counted.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from core.errors import TooManyAttempts

WINDOW_SECONDS = getattr(settings, "LOYALTY_CODE_CHECK_WINDOW_SECONDS", 15 * 60)
MEMBER_LIMIT = getattr(settings, "LOYALTY_CODE_CHECK_MEMBER_LIMIT", 10)
KEY_LIMIT = getattr(settings, "LOYALTY_CODE_CHECK_KEY_LIMIT", 50)


class TooManyFailedCodeChecks(TooManyAttempts):
    code = "too_many_failed_code_checks"
    default_message = _("Too many unknown codes were tried. Try again later.")
    retry_after_seconds = WINDOW_SECONDS  # at most: the window may have started earlier


def _counters(*, member_id: int | None, api_key_id: int | None) -> list[tuple[str, int]]:
    counters = []
    if member_id is not None:
        counters.append((f"code-guess:member:{member_id}", MEMBER_LIMIT))
    if api_key_id is not None:
        counters.append((f"code-guess:key:{api_key_id}", KEY_LIMIT))
    return counters


def _add(key: str, delta: int) -> int:
    """Adds `delta` to a counter atomically and returns the new count; starts the window."""
    cache.add(key, 0, WINDOW_SECONDS)  # a no-op when the window runs already
    try:
        return cache.incr(key, delta)
    except ValueError:  # expired between add and incr
        cache.add(key, delta, WINDOW_SECONDS)
        return delta


def _give_back(key: str, delta: int) -> None:
    try:
        cache.decr(key, delta)
    except ValueError:  # the window ended meanwhile: nothing left to give back
        pass


@dataclass
class Reservation:
    """Checks taken from each budget by one request, until it knows which ones missed."""

    keys: tuple[str, ...]
    count: int

    def keep_misses(self, misses: int) -> None:
        """Gives back the checks that found a code, keeping `misses` counted."""
        found = self.count - misses
        if found > 0:
            for key in self.keys:
                _give_back(key, found)
        self.count = misses

    def cancel(self) -> None:
        """Gives everything back (the request failed before it evaluated anything)."""
        self.keep_misses(0)


def reserve_checks(*, member_id: int | None, api_key_id: int | None, count: int) -> Reservation:
    """Takes `count` code checks from the member's and the key's budgets at once, before any
    code is evaluated; refuses the request (429) when either budget has fewer left."""
    counters = _counters(member_id=member_id, api_key_id=api_key_id)
    if count <= 0:
        # Nothing to check, but a locked-out member or key stays locked out.
        for key, limit in counters:
            if (cache.get(key) or 0) >= limit:
                raise TooManyFailedCodeChecks(field="codes")
        return Reservation(keys=(), count=0)
    taken: list[str] = []
    for key, limit in counters:
        total = _add(key, count)
        taken.append(key)
        if total > limit:
            Reservation(keys=tuple(taken), count=count).cancel()
            raise TooManyFailedCodeChecks(field="codes")
    return Reservation(keys=tuple(taken), count=count)
