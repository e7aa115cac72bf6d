"""A Redis cache that degrades instead of failing when Redis is away.

Redis is usually the broker and the cache at once. When it stops, the outbox keeps every write
working (jobs wait in the database), but Django's own Redis cache would raise on the first
`cache.get` of a request, turning every request into an error. This backend answers as a cache
that holds nothing: reads miss, writes are dropped, counters start again. What that means:
configuration is read from the database each time (slower, correct); rate limits (API throttle,
failed code checks, sign-in link requests) do not hold while Redis is away — they fail open,
which a shop prefers to refusing every till. Each failure waits at most the socket timeouts
(0.5 s by default; a refused connection answers at once) and is logged at most every 10 s.
"""

import logging
import time
from functools import wraps

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("core.cache")

_last_warning = 0.0


def _warn(error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 10:
        _last_warning = now
        logger.warning("Cache unavailable, carrying on without it: %s", error)


def _degrades_to(fallback):
    """Wraps a cache method: on a Redis or socket error, log and return `fallback(*args)`."""

    def decorator(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (RedisError, OSError) as error:
                _warn(error)
                return fallback(*args, **kwargs)

        return wrapper

    return decorator


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, {**params, "OPTIONS": options})

    get = _degrades_to(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _degrades_to(lambda *args, **kwargs: {})(RedisCache.get_many)
    set = _degrades_to(lambda *args, **kwargs: None)(RedisCache.set)
    set_many = _degrades_to(lambda *args, **kwargs: [])(RedisCache.set_many)
    add = _degrades_to(lambda *args, **kwargs: False)(RedisCache.add)
    touch = _degrades_to(lambda *args, **kwargs: False)(RedisCache.touch)
    delete = _degrades_to(lambda *args, **kwargs: False)(RedisCache.delete)
    delete_many = _degrades_to(lambda *args, **kwargs: None)(RedisCache.delete_many)
    has_key = _degrades_to(lambda *args, **kwargs: False)(RedisCache.has_key)
    # A counter that cannot be read counts from nothing: whatever it limits is let through.
    incr = _degrades_to(lambda key, delta=1, version=None: delta)(RedisCache.incr)
    clear = _degrades_to(lambda *args, **kwargs: False)(RedisCache.clear)
