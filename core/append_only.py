"""Append-only tables: rows are written once and never updated or deleted.

Enforced twice: in the model layer (save/delete/queryset.update/delete raise) and in the database
by a trigger, so neither a shell session nor a bulk update can rewrite history. On SQLite only
UPDATE is blocked by the trigger, because Django's test flush empties tables with DELETE there;
on PostgreSQL both are, and TRUNCATE (used by the test flush) does not fire row triggers.
"""

from django.db import models
from django.db.migrations.operations.base import Operation


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are never updated")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are never deleted")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are never deleted")


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION loyalty_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % is not allowed', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


class ProtectAppendOnly(Operation):
    """Migration operation installing the database trigger for one append-only table."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str) -> None:
        self.table = table

    def deconstruct(self):
        return (f"{__name__}.{type(self).__name__}", [self.table], {})

    def state_forwards(self, app_label, state) -> None:
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        # Idempotent: SQLite drops triggers when a migration rebuilds the table, so a later
        # migration that alters the table installs the trigger again.
        self.database_backwards(app_label, schema_editor, from_state, to_state)
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(_PG_FUNCTION, params=None)
            schema_editor.execute(
                f"CREATE TRIGGER {self.table}_append_only BEFORE UPDATE OR DELETE ON {self.table} "
                "FOR EACH ROW EXECUTE FUNCTION loyalty_reject_change()"
            )
        elif vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {self.table}_append_only BEFORE UPDATE ON {self.table} "
                f"BEGIN SELECT RAISE(ABORT, 'append-only table {self.table}'); END"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {self.table}_append_only ON {self.table}"
            )
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {self.table}_append_only")

    def describe(self) -> str:
        return f"Make {self.table} append-only"
