"""With Redis away, the cache answers as an empty cache: requests carry on, quickly."""

import os
import socket
import subprocess
import sys
import time

from core.cache import ResilientRedisCache


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_cache_whose_redis_is_away_misses_drops_and_counts_from_nothing(caplog):
    cache = ResilientRedisCache(f"redis://127.0.0.1:{closed_port()}/1", {})
    started = time.monotonic()
    assert cache.get("config:tiers", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set("config:tiers", [1, 2], 300) is None
    assert cache.add("window", 0, 60) is False
    assert cache.incr("window") == 1  # a rate limit counts from nothing: it lets this through
    assert cache.delete("config:tiers") is False
    assert cache.has_key("window") is False
    assert time.monotonic() - started < 3  # refused connections answer at once
    assert "Cache unavailable" in caplog.text


def test_a_redis_cache_url_gets_the_resilient_backend():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "loyalty_site.settings.local",
        "CACHE_URL": "rediscache://127.0.0.1:6379/1",
    }
    out = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.CACHES)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "core.cache.ResilientRedisCache" in out
