"""Limits on failed code checks, so codes cannot be found by trying.

Failures are counted per POS key and per member in the cache (atomic `incr`; Redis in
production), in fixed windows. Past the limit every code check is refused until the window ends.
"""

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


def _counters(*, member_id: int | None, api_key_id: int | None) -> list[tuple[str, int]]:
    counters = []
    if member_id is not None:
        counters.append((f"code-guess:member:{member_id}", MEMBER_LIMIT))
    if api_key_id is not None:
        counters.append((f"code-guess:key:{api_key_id}", KEY_LIMIT))
    return counters


def refuse_if_locked(*, member_id: int | None, api_key_id: int | None) -> None:
    for key, limit in _counters(member_id=member_id, api_key_id=api_key_id):
        if (cache.get(key) or 0) >= limit:
            raise TooManyFailedCodeChecks(field="codes")


def record_failures(*, member_id: int | None, api_key_id: int | None, count: int) -> None:
    if count <= 0:
        return
    for key, _limit in _counters(member_id=member_id, api_key_id=api_key_id):
        cache.add(key, 0, WINDOW_SECONDS)  # starts the window; a no-op when it runs already
        try:
            cache.incr(key, count)
        except ValueError:  # expired between add and incr
            cache.set(key, count, WINDOW_SECONDS)
