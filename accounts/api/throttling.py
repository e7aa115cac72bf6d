import threading
import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from accounts.member_tokens import MemberToken
from accounts.models import PosApiKey

# Requests this process may still serve per (identity, limit, window) without asking the cache.
_allowance: dict[tuple[str, int, int], int] = {}
_allowance_lock = threading.Lock()


def lease_size(limit: int) -> int:
    """How many requests a process reserves at once: about 1 % of the budget, at most 100.
    A small budget (under 200 a window) is counted request by request, as before."""
    return max(1, min(100, limit // 100))


def forget_allowances() -> None:
    with _allowance_lock:
        _allowance.clear()


class ApiKeyRateThrottle(BaseThrottle):
    """A request budget per POS key, so one misbehaving till cannot starve the others.

    A fixed-window counter in the cache (Redis in production), shared by every process. Each
    process reserves its requests in leases (`INCRBY lease`, `lease_size`) and serves them from
    memory, so a busy till costs one cache round trip per lease instead of one per request. The
    limit stays exact across processes and parallel requests: a lease is only granted for what
    the shared counter still allows, so the cache never admits more than the limit; a process
    that does not use its whole lease makes the others stop a little early (at most one lease
    per process and window). DRF's SimpleRateThrottle kept every request time of the window in
    one cache value, which grew with the rate.
    """

    scope = "pos"

    def __init__(self) -> None:
        from rest_framework.settings import api_settings

        rate = api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        self.limit, self.window = SimpleRateThrottle.parse_rate(None, rate)

    def _identity(self, request) -> str:
        if isinstance(request.auth, PosApiKey):
            return f"key:{request.auth.pk}"
        if isinstance(request.auth, MemberToken):
            return f"member:{request.auth.member.pk}"
        return f"ip:{self.get_ident(request)}"

    def allow_request(self, request, view) -> bool:
        now = time.time()
        window_start = int(now // self.window) * self.window
        self.retry_after = window_start + self.window - now
        identity = self._identity(request)
        local = (identity, self.limit, window_start)
        with _allowance_lock:
            left = _allowance.get(local, 0)
            if left > 0:
                _allowance[local] = left - 1
                return True
        granted = self._reserve(
            f"throttle:{self.scope}:{identity}:{window_start}", lease_size(self.limit)
        )
        if granted == 0:
            return False
        with _allowance_lock:
            if len(_allowance) > 10_000:  # windows gone by; one entry per active key otherwise
                for stale in [key for key in _allowance if key[2] != window_start]:
                    del _allowance[stale]
            _allowance[local] = _allowance.get(local, 0) + granted - 1
        return True

    def _reserve(self, key: str, lease: int) -> int:
        """Takes up to `lease` requests from the shared counter; returns how many it got."""
        try:
            count = cache.incr(key, lease)  # the usual case: one round trip
        except ValueError:  # the first request of the window
            if cache.add(key, lease, self.window + 1):
                count = lease
            else:
                count = cache.incr(key, lease)
        return max(0, min(lease, self.limit - (count - lease)))

    def wait(self) -> float:
        return self.retry_after


class MemberTokenMintThrottle(ApiKeyRateThrottle):
    """Member tokens a key may have per window (`MEMBER_TOKEN_RATE`, 120 a minute by default):
    a leaked shop key cannot turn the whole card range into tokens quickly."""

    scope = "member_tokens"


class MemberApiThrottle(ApiKeyRateThrottle):
    """Requests per member on the member routes (`MEMBER_API_RATE`), whatever the token."""

    scope = "member_api"
