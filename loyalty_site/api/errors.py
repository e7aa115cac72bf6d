"""One JSON error shape for the whole API: `{"code", "message", "field"}`.

Validation errors with several problems also list them all under `errors`, each in the same shape.
"""

import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.errors import ApplicationError

from ..availability import is_database_unavailable, service_unavailable_response

_DRF_CODES = {
    exceptions.ParseError: "malformed_json",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, message, field: str | None = None, **extra) -> dict:
    return {"code": code, "message": str(message), "field": field, **extra}


def _flatten(detail, path: str = "") -> list[dict]:
    if isinstance(detail, dict):
        problems = []
        for key, value in detail.items():
            name = None if key == api_settings.NON_FIELD_ERRORS_KEY else str(key)
            child = f"{path}.{name}" if path and name else (name or path)
            problems.extend(_flatten(value, child))
        return problems
    if isinstance(detail, list):
        problems = []
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                problems.extend(_flatten(value, f"{path}.{index}" if path else str(index)))
            else:
                problems.extend(_flatten(value, path))
        return problems
    return [error_body(getattr(detail, "code", "invalid") or "invalid", detail, path or None)]


def api_exception_handler(exc, context):
    if is_database_unavailable(exc):
        # The request may have committed before the database went away; a retry with the same
        # idempotency key replays it (loyalty_site/availability.py).
        return service_unavailable_response(context["request"], exc)
    if isinstance(exc, ApplicationError):
        body = error_body(exc.code, exc.message, exc.field, **exc.extra)
        retry_after = getattr(exc, "retry_after_seconds", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, RequestDataTooBig):
        return Response(too_large_body(), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        problems = _flatten(exc.detail) or [error_body("invalid", _("Invalid input."))]
        body = dict(problems[0])
        if len(problems) > 1:
            body["errors"] = problems
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.APIException):
        code = next(
            (code for klass, code in _DRF_CODES.items() if isinstance(exc, klass)),
            exc.default_code,
        )
        message = exc.detail if isinstance(exc.detail, str) else exc.default_detail
        if isinstance(exc, exceptions.ParseError):
            # Our parser says what is wrong (core/parsers.py); DRF's own wording is technical.
            detail_code = getattr(exc.detail, "code", None)
            if detail_code not in (None, "parse_error"):
                code = detail_code
            elif message == exc.default_detail:
                message = _("The request body is not valid JSON.")
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(int(exc.wait))
        return Response(error_body(code, message), status=exc.status_code, headers=headers)
    return None


def too_large_body() -> dict:
    return error_body(
        "request_too_large",
        _("The request body is too large (%(limit)s bytes at most).")
        % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
    )


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def json_or_html(handler_name: str, status_code: int, code: str, message):
    """Django-level 404/500 handlers: JSON under /api/, Django's own pages elsewhere.

    The 500 handler runs inside Django's `except` block, so it can tell a database outage
    raised outside a view (a session read in middleware, say) and answer 503 instead.
    """
    from django.views import defaults

    html_handler = getattr(defaults, handler_name)

    def handler(request, *args, **kwargs):
        if status_code == 500 and is_database_unavailable(sys.exception()):
            return service_unavailable_response(request)
        if _is_api(request):
            return JsonResponse(error_body(code, message), status=status_code)
        return html_handler(request, *args, **kwargs)

    return handler


def handler400(request, exception=None):
    """Django's own 400s (a body over the size limit, a bad Host header): JSON under /api/."""
    from django.views import defaults

    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(too_large_body(), status=413)
    return JsonResponse(error_body("bad_request", _("Bad request.")), status=400)


handler404 = json_or_html("page_not_found", 404, "not_found", gettext_lazy("Not found."))
handler500 = json_or_html(
    "server_error", 500, "server_error", gettext_lazy("Something went wrong on our side.")
)
