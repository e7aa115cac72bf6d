"""Append-only tables: rows are written once and never updated or deleted.

Enforced twice: in the model layer (save/delete/queryset.update/delete raise) and in the database
by a trigger, so neither a shell session nor a bulk update can rewrite history. On SQLite only
UPDATE is blocked by the trigger, because Django's test flush empties tables with DELETE there;
on PostgreSQL both are, and TRUNCATE (used by the test flush) does not fire row triggers.

The one exception is erasure (GDPR): a table may name its `erasable` columns, the ones holding
personal data. `erase_personal()` blanks or rewrites exactly those, and the trigger lets such an
update through when it changes nothing else (on PostgreSQL also only while the transaction has
said it is erasing, which `erase_personal` does). Any other update is still refused.
"""

from typing import ClassVar

from django.db import connection, models
from django.db.migrations.operations.base import Operation


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are never updated")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are never deleted")

    def erase_personal(self, **values) -> int:
        """Rewrites the personal columns of these rows (erasure only): nothing else changes."""
        other = set(values) - set(self.model.erasable_columns)
        if not values or other:
            raise AppendOnlyError(f"{self.model.__name__}: {sorted(other)} are not erasable")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('loyalty.erasure', 'on', true)")
        try:
            return models.QuerySet.update(self, **values)
        finally:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('loyalty.erasure', '', true)")


class AppendOnlyModel(models.Model):
    # Columns holding personal data that erasure may rewrite (and the trigger lets it).
    erasable_columns: ClassVar[tuple[str, ...]] = ()

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


# The same refusal, except for an update that changes the erasable columns (the trigger's
# arguments) and nothing else, made while the transaction says it is erasing.
_PG_ERASABLE_FUNCTION = """
CREATE OR REPLACE FUNCTION loyalty_reject_change_but_erasure() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('loyalty.erasure', true) = 'on'
       AND (to_jsonb(NEW) - TG_ARGV) = (to_jsonb(OLD) - TG_ARGV) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'append-only table %: % is not allowed', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


class ProtectAppendOnly(Operation):
    """Migration operation installing the database trigger for one append-only table.

    With `erasable` columns, an update of those alone is let through (see the module's doc)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str, erasable: tuple[str, ...] | list[str] = ()) -> None:
        self.table = table
        self.erasable = tuple(erasable)

    def deconstruct(self):
        kwargs = {"erasable": list(self.erasable)} if self.erasable else {}
        return (f"{__name__}.{type(self).__name__}", [self.table], kwargs)

    def state_forwards(self, app_label, state) -> None:
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        # Idempotent: SQLite drops triggers when a migration rebuilds the table, so a later
        # migration that alters the table installs the trigger again.
        self.database_backwards(app_label, schema_editor, from_state, to_state)
        vendor = schema_editor.connection.vendor
        if self.erasable:
            self._install_erasable(schema_editor)
        elif vendor == "postgresql":
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

    def _install_erasable(self, schema_editor) -> None:
        connection = schema_editor.connection
        if connection.vendor == "postgresql":
            schema_editor.execute(_PG_ERASABLE_FUNCTION, params=None)
            arguments = ", ".join(f"'{column}'" for column in self.erasable)
            schema_editor.execute(
                f"CREATE TRIGGER {self.table}_append_only BEFORE UPDATE OR DELETE ON {self.table} "
                f"FOR EACH ROW EXECUTE FUNCTION loyalty_reject_change_but_erasure({arguments})"
            )
        elif connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                columns = [
                    column.name
                    for column in connection.introspection.get_table_description(cursor, self.table)
                ]
            quote = schema_editor.quote_name
            unchanged = " AND ".join(
                f"NEW.{quote(column)} IS OLD.{quote(column)}"
                for column in columns
                if column not in self.erasable
            )
            schema_editor.execute(
                f"CREATE TRIGGER {self.table}_append_only BEFORE UPDATE ON {self.table} "
                f"WHEN NOT ({unchanged}) "
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
