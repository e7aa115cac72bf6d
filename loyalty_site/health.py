"""Health checks, each answering within 3 seconds whatever the database does.

- `/health/` and `/health/live/`: liveness. The process answers; the database is not touched,
  so a database outage does not make a load balancer drop (or an orchestrator restart) every
  app server at once: they stay in rotation and answer `503` with `Retry-After` themselves.
- `/health/ready/`: readiness. `200` when the database takes a query on a fresh connection
  within `READY_DATABASE_TIMEOUT` seconds, otherwise `503`. The broker is reported, not fatal:
  web requests work without it.
"""

import socket
import time
from urllib.parse import urlparse

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .availability import retry_after_seconds

# psycopg's connect timeout has a floor of 2 seconds; the broker check gets what is left of 3.
READY_DATABASE_TIMEOUT = 2
READY_BROKER_TIMEOUT = 0.5


@never_cache
def health_view(request):
    return JsonResponse({"status": "ok"})


def _database_state() -> str:
    try:
        if connection.vendor == "postgresql":
            # A fresh connection with its own short limits: a pooled one may sit on a dead
            # socket, and the request's own connection must not be spent on the probe.
            import psycopg

            params = connection.get_connection_params()
            params.update(
                connect_timeout=READY_DATABASE_TIMEOUT,
                tcp_user_timeout=READY_DATABASE_TIMEOUT * 1000,
                autocommit=True,
            )
            if not settings.DATABASE_POOLING:  # PgBouncer refuses startup `options`
                params["options"] = f"-c statement_timeout={READY_DATABASE_TIMEOUT * 1000}"
            with psycopg.connect(**params) as probe:
                probe.execute("SELECT 1")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
    except Exception as exc:  # Django's or psycopg's own errors (the probe connects directly)
        return f"unavailable: {type(exc).__name__}"
    return "ok"


def _broker_state() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "not used (tasks run in-process)"
    url = urlparse(settings.CELERY_BROKER_URL)
    if url.scheme not in {"redis", "rediss", "amqp", "amqps", "pyamqp"}:
        return "not checked"
    default_port = 6379 if url.scheme.startswith("redis") else 5672
    try:
        with socket.create_connection(
            (url.hostname or "127.0.0.1", url.port or default_port), timeout=READY_BROKER_TIMEOUT
        ):
            return "ok"
    except OSError as exc:
        return f"unavailable: {type(exc).__name__}"


@never_cache
def readiness_view(request):
    started = time.monotonic()
    database = _database_state()
    broker = _broker_state()
    is_ready = database == "ok"
    response = JsonResponse(
        {
            "status": "ok" if is_ready else "unavailable",
            "database": database,
            "broker": broker,
            "seconds": round(time.monotonic() - started, 3),
        },
        status=200 if is_ready else 503,
    )
    if not is_ready:
        response["Retry-After"] = str(retry_after_seconds())
    return response
