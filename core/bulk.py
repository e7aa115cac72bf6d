"""Set-based writes for batch jobs, portable to PostgreSQL and SQLite."""

import datetime
from decimal import Decimal

from django.db import connection

_ARRAY_TYPES = [
    (bool, "boolean"),
    (int, "bigint"),
    (Decimal, "numeric"),
    (datetime.datetime, "timestamptz"),
    (str, "text"),
]


def _array_type(value) -> str:
    for python_type, sql_type in _ARRAY_TYPES:
        if isinstance(value, python_type):
            return sql_type
    raise TypeError(f"no array type for {type(value).__name__}")


def id_in(column: str, ids: list[int]) -> tuple[str, list]:
    """`column` is one of `ids`: `= ANY(%s)` with one array parameter on PostgreSQL (psycopg
    rewrites a query in Python once per placeholder), `IN (%s, …)` elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def in_window(column: str, *, now, start) -> tuple[str, list]:
    """`column` is at most `now` and after `start` (no lower bound when `start` is None): the
    condition of a rolling window (tiers, the score) in hand-written SQL."""
    ops = connection.ops
    sql, params = f"{column} <= %s", [ops.adapt_datetimefield_value(now)]
    if start is not None:
        sql += f" AND {column} > %s"
        params.append(ops.adapt_datetimefield_value(start))
    return sql, params


def update_from_values(
    table: str, *, key: str, assignments: str, columns: tuple[str, ...], rows: list, chunk=5000
) -> int:
    """UPDATE many rows, each with its own values, in one statement per chunk. `assignments`
    refers to the values as batch.<column> (e.g. "balance = balance - batch.expired"); each row
    is (key value, *column values), columns of one type each and not NULL.

    PostgreSQL: `UPDATE … FROM unnest(%s::bigint[], …) AS batch` — one array parameter per
    column, so the statement stays small (psycopg rewrites a query in Python once per
    placeholder, and planning a VALUES list of thousands of rows costs more than the update).
    SQLite: `UPDATE … FROM (SELECT … FROM (VALUES (…), …)) AS batch`. Both are joins, so the
    database hashes the batch instead of looking it up per row.
    """
    if not rows:
        return 0
    names = ("key_value", *columns)
    listed = ", ".join(names)
    postgres = connection.vendor == "postgresql"
    size = chunk if postgres else 1000
    updated = 0
    for start in range(0, len(rows), size):
        part = rows[start : start + size]
        if postgres:
            arrays = ", ".join(f"%s::{_array_type(value)}[]" for value in part[0])
            source = f"unnest({arrays}) AS batch ({listed})"
            params = [list(column) for column in zip(*part, strict=True)]
            sql = f"UPDATE {table} SET {assignments} FROM {source} "
        else:
            placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
            values = ", ".join([placeholder] * len(part))
            # SQLite names VALUES columns column1, column2, …; and a statement starting with WITH
            # would not report its row count.
            named = ", ".join(f"column{index} AS {name}" for index, name in enumerate(names, 1))
            params = [value for row in part for value in row]
            sql = f"UPDATE {table} SET {assignments} "
            sql += f"FROM (SELECT {named} FROM (VALUES {values})) AS batch "
        sql += f"WHERE {table}.{key} = batch.key_value"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            updated += cursor.rowcount
    return updated


def insert_new(model, rows: list[dict]) -> None:
    """INSERT many new rows of a model with plain columns (text, numbers, dates, booleans, no
    JSON), each given as a dict of attribute names (`member_id`, not `member`) to values. A
    column a row leaves out takes its field's default, worked out once for the whole call, so a
    field whose default must differ per row (a unique token) must be given; auto_now fields too.

    PostgreSQL: one COPY straight from the dicts, which skips building model instances,
    Django's per-value preparation and psycopg's query rewriting (together most of the time of a
    bulk_create of thousands of rows). Elsewhere: bulk_create.
    """
    if not rows:
        return
    given = rows[0].keys()
    defaults = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raise ValueError(f"{model.__name__}.{field.name} (auto_now) must be given")
        if field.unique and field.has_default() and callable(field.default):
            raise ValueError(f"{model.__name__}.{field.name} needs a value per row")
        defaults[field.attname] = field.get_default()
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**defaults, **row) for row in rows], batch_size=1000)
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    names = [field.attname for field in fields]
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            values = {**defaults, **row}
            copy.write_row([values[name] for name in names])


def copy_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT many rows of plain columns given as tuples, without model instances: one COPY on
    PostgreSQL, executemany elsewhere. Defaults and auto_now are not applied: give every column
    the table needs."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    listed = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({listed}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        adapt = connection.ops.adapt_datetimefield_value
        cursor.executemany(
            f"INSERT INTO {table} ({listed}) VALUES ({placeholders})",
            [
                [adapt(value) if isinstance(value, datetime.datetime) else value for value in row]
                for row in rows
            ],
        )
