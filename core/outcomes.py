"""Outcomes of writes kept with the row they wrote, so an identical retry gets the same answer.

Services return frozen dataclasses (Decimal, int, str, aware datetimes, tuples, nested
outcomes); the API renders them through its Output serializers. Writes with a natural key
(a purchase's transaction_id, say) keep their outcome on their row as JSON: `to_record` writes
it, `from_record` reads it back into the same dataclass, so a replay renders exactly as the
first answer did. Decimals are kept as text, times in ISO 8601: nothing is lost on the way.
"""

import dataclasses
import datetime
import types
import typing
from decimal import Decimal
from typing import Any, TypeVar

T = TypeVar("T")


def to_record(value: Any) -> Any:
    """A dataclass (or anything inside one) as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_record(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_record(item) for item in value]
    return value


def _convert(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _convert(inner, value)
    if origin is tuple:
        item_kind = typing.get_args(kind)[0]
        return tuple(_convert(item_kind, item) for item in value)
    if dataclasses.is_dataclass(kind):
        return from_record(kind, value)  # type: ignore[arg-type]
    if kind is Decimal:
        return Decimal(str(value))
    if kind is datetime.datetime:
        return datetime.datetime.fromisoformat(value)
    return value


def from_record(cls: type[T], record: dict[str, Any]) -> T:
    """Reads back what `to_record` wrote; keys the record lacks take the field's default."""
    hints = typing.get_type_hints(cls)
    values = {
        f.name: _convert(hints[f.name], record[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in record
    }
    return cls(**values)
