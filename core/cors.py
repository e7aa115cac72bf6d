"""Cross-origin requests, for the member routes only (docs/member-api.md, "CORS").

The web shop's page (another origin) calls `/api/v1/me/…` from the browser with a member token.
Only origins listed in `MEMBER_API_ALLOWED_ORIGINS` are answered with CORS headers, and only
on the paths in `CORS_PATH_PREFIXES`: the tills' routes, the portal and admin stay same-origin.
No cookies are involved (the token travels in `Authorization`), so credentials are not allowed.
"""

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, Accept, Accept-Language, Idempotency-Key"
EXPOSED_HEADERS = "Idempotent-Replayed, Retry-After"
PREFLIGHT_MAX_AGE = "600"


def _applies(request) -> bool:
    return request.path.startswith(tuple(settings.CORS_PATH_PREFIXES))


def origin_allowed(origin: str) -> bool:
    return bool(origin) and origin in settings.MEMBER_API_ALLOWED_ORIGINS


class CorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _applies(request):
            return self.get_response(request)
        origin = request.headers.get("Origin", "")
        is_preflight = (
            request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        )
        if is_preflight:
            # Answered here: a preflight carries no token, so the view would refuse it.
            response = HttpResponse(status=204)
            if origin_allowed(origin):
                response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
                response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        else:
            response = self.get_response(request)
        if origin_allowed(origin):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        patch_vary_headers(response, ("Origin",))
        return response
