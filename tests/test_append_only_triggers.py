import pytest
from django.apps import apps
from django.db import connection

from core.append_only import AppendOnlyModel


def append_only_tables() -> list[str]:
    return sorted(
        model._meta.db_table for model in apps.get_models() if issubclass(model, AppendOnlyModel)
    )


@pytest.mark.django_db
def test_every_append_only_table_has_its_database_trigger_after_all_migrations():
    # A migration that rebuilds a table on SQLite drops its triggers; this catches it.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        triggers = {row[0] for row in cursor.fetchall()}
    missing = [table for table in append_only_tables() if f"{table}_append_only" not in triggers]
    assert append_only_tables()
    assert missing == []
