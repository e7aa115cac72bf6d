"""Set-based writes for batch jobs, portable to PostgreSQL and SQLite."""

from django.db import connection


def update_from_values(
    table: str, *, key: str, assignments: str, columns: tuple[str, ...], rows: list, chunk=2000
) -> int:
    """UPDATE many rows, each with its own values, in one statement per chunk:

        WITH batch (key, a, b) AS (VALUES (…), (…)) UPDATE table SET <assignments> FROM batch
        WHERE table.key = batch.key

    `assignments` refers to the values as batch.<column> (e.g. "balance = balance + batch.delta").
    A join, so PostgreSQL hashes the batch instead of looking it up per row.
    """
    updated = 0
    names = ", ".join(("key_value", *columns))
    placeholder = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        sql = (
            f"WITH batch ({names}) AS (VALUES {', '.join([placeholder] * len(part))}) "
            f"UPDATE {table} SET {assignments} FROM batch WHERE {table}.{key} = batch.key_value"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for row in part for value in row])
            updated += cursor.rowcount
    return updated
