from rest_framework.throttling import SimpleRateThrottle

from accounts.models import PosApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    """A budget per POS key, so one misbehaving till cannot starve the others."""

    scope = "pos"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, PosApiKey):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
