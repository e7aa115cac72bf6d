"""Markers shared by tests: which database runs the suite, and what needs PostgreSQL."""

import pytest
from django.conf import settings

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

postgres_only = pytest.mark.skipif(
    not IS_POSTGRES,
    reason="needs PostgreSQL: real row locks and parallel connections (SQLite serialises writers)",
)
