"""What the site does when the database is unavailable: answer `503` with `Retry-After`, fast.

- Time limits: a connect timeout for every process (`DATABASE_CONNECT_TIMEOUT`) and, for web
  processes only, a statement timeout (`DATABASE_STATEMENT_TIMEOUT_MS`). `wsgi.py` and `asgi.py`
  call `limit_web_statements()`; Celery workers, beat and management commands never import
  them, so batch jobs are not cut by a limit meant for till calls.
- Answers: a database error (`OperationalError`, `InterfaceError`: connection refused or lost,
  a timeout, a statement cancelled) becomes `503 service_unavailable` with `Retry-After`: JSON
  under `/api/`, a small translated page elsewhere. Never a `500`.

What a `503` means for a write: the database failed before, during or after the commit, so the
write may or may not have been recorded. Every API write is idempotent (transaction_id,
refund_id, reference, Idempotency-Key): the client retries with the same id and gets either the
original answer (replayed, `200`) or a new record (`201`), never a second one.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from core.config_cache import forget_all_config

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def limit_web_statements() -> None:
    """Adds `-c statement_timeout=…` to the connection options of every PostgreSQL database.

    Called by the web entry points after Django is set up and before any request, so every
    connection a web process opens carries the limit (no extra round trip per request).
    """
    timeout_ms = settings.DATABASE_STATEMENT_TIMEOUT_MS
    if not timeout_ms or settings.DATABASE_POOLING:
        # Behind PgBouncer the pooler's `connect_query` sets it (docs/scaling.md): PgBouncer
        # refuses a startup `options` parameter.
        return
    for alias in connections:
        settings_dict = connections.settings[alias]
        if settings_dict["ENGINE"] != "django.db.backends.postgresql":
            continue
        options = settings_dict.setdefault("OPTIONS", {})
        existing = options.get("options", "")
        if "statement_timeout" not in existing:
            options["options"] = f"{existing} -c statement_timeout={int(timeout_ms)}".strip()


def retry_after_seconds() -> int:
    return settings.SERVICE_UNAVAILABLE_RETRY_AFTER


def service_unavailable_response(request, exc: BaseException | None = None) -> HttpResponse:
    """The 503 answer: JSON for the API and the health checks, a small page for people.

    Renders without the database: no request context, no session, no user.
    """
    if exc is not None:
        logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exc)
    # The failure may come before LocaleMiddleware ran: pick the language from the request.
    with translation.override(translation.get_language_from_request(request)):
        response = _unavailable_response(request)
    response["Retry-After"] = str(retry_after_seconds())
    return response


def _unavailable_response(request) -> HttpResponse:
    if request.path.startswith(("/api/", "/health/")):
        return JsonResponse(
            {
                "code": "service_unavailable",
                "message": gettext(
                    "The service is temporarily unavailable. Please try again shortly."
                ),
                "field": None,
            },
            status=503,
        )
    # No request context (its processors could touch the database); just the CSP nonce.
    context = {"csp_nonce": getattr(request, "csp_nonce", "")}
    return HttpResponse(render_to_string("503.html", context), status=503)


class DatabaseErrorMiddleware:
    """Turns a database error raised by a view into a 503 (errors raised by other middleware
    reach `handler500`, which does the same).

    A foreign key that fails may come from configuration cached before its row was deleted:
    every cached entry is forgotten and the client told to retry (the transaction rolled back,
    and the retry reads fresh configuration).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if isinstance(exc, IntegrityError):
            forget_all_config()
            if is_foreign_key_violation(exc):
                return service_unavailable_response(request, exc)
            return None
        if is_database_unavailable(exc):
            return service_unavailable_response(request, exc)
        return None


def is_foreign_key_violation(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    if type(cause).__name__ == "ForeignKeyViolation":  # psycopg
        return True
    return "FOREIGN KEY constraint failed" in str(exc)  # SQLite
