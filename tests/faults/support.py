"""Helpers for tests that run the app in other processes against the test database."""

import socket

from django.conf import settings


def database_url(*, host: str | None = None, port: int | None = None) -> str:
    """The pytest test database as a DATABASE_URL, optionally through another address."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = host or db.get("HOST") or "127.0.0.1"
    port = port or db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
