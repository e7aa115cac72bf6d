"""Two-level cache for configuration read on every till call (programme settings, tiers,
earning rules, campaigns): a few seconds in the process, then the shared cache (Redis in
production), then the database.

Saving a configuration object forgets it in this process and in the shared cache at once;
other processes see the change within LOCAL_TTL seconds. That is the trade: no cache round trip
per request for data staff change a few times a year.
"""

import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

LOCAL_TTL = 3.0
SHARED_TTL = 300

_local: dict[str, tuple[float, Any]] = {}


def cached_config(key: str, loader: Callable[[], Any]) -> Any:
    now = time.monotonic()
    hit = _local.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = cache.get(key)
    if value is None:
        value = loader()
        cache.set(key, value, SHARED_TTL)
    _local[key] = (now + LOCAL_TTL, value)
    return value


def forget_config(key: str) -> None:
    _local.pop(key, None)
    cache.delete(key)


def local_memo(key: str, loader: Callable[[], Any], *, ttl: float) -> Any:
    """Process-level only (for objects not worth a shared-cache round trip); None is not kept."""
    now = time.monotonic()
    hit = _local.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = loader()
    if value is not None:
        _local[key] = (now + ttl, value)
    return value


def forget_local(key: str) -> None:
    _local.pop(key, None)


def forget_all_local() -> None:
    """Tests clear the shared cache between tests; this clears the process level with it."""
    _local.clear()
