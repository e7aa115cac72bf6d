import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from accounts.member_tokens import MemberToken
from accounts.models import PosApiKey


class ApiKeyRateThrottle(BaseThrottle):
    """A request budget per POS key, so one misbehaving till cannot starve the others.

    A fixed-window counter (one atomic `incr` in the cache per request). DRF's SimpleRateThrottle
    keeps every request time of the window in one cache value, which grows with the rate and
    made each request slower the busier a till was.
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
        key = f"throttle:{self.scope}:{self._identity(request)}:{window_start}"
        try:
            count = cache.incr(key)  # the usual case: one round trip
        except ValueError:  # the first request of the window
            if cache.add(key, 1, self.window + 1):
                return True
            count = cache.incr(key)
        return count <= self.limit

    def wait(self) -> float:
        return self.retry_after


class MemberTokenMintThrottle(ApiKeyRateThrottle):
    """Member tokens a key may have per window (`MEMBER_TOKEN_RATE`, 120 a minute by default):
    a leaked shop key cannot turn the whole card range into tokens quickly."""

    scope = "member_tokens"


class MemberApiThrottle(ApiKeyRateThrottle):
    """Requests per member on the member routes (`MEMBER_API_RATE`), whatever the token."""

    scope = "member_api"
