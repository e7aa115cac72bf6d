"""Fixed-window attempt counters in the cache (atomic `incr`; Redis in production).

Keys are hashed, so e-mail addresses never end up in the cache in clear text.
"""

import hashlib

from django.core.cache import cache


def _key(scope: str, identity: str) -> str:
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}"


def is_limited(scope: str, identity: str, *, limit: int) -> bool:
    return (cache.get(_key(scope, identity)) or 0) >= limit


def count_attempt(scope: str, identity: str, *, window_seconds: int) -> int:
    key = _key(scope, identity)
    cache.add(key, 0, window_seconds)  # starts the window; a no-op when it runs already
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window_seconds)
        return 1


def reset(scope: str, identity: str) -> None:
    cache.delete(_key(scope, identity))
