"""Personal data: which columns hold it, and how one person's is erased everywhere.

Each app declares in its `privacy` module (found at start-up, like `jobs`):

- `register(label, fields, erase)`: the columns of a model that hold personal data, and the
  function that erases one person's values from them (blank, delete or scrub, whatever keeps
  the bookkeeping intact);
- `not_personal(label, field=why, …)`: columns whose name looks personal but that hold none.

`tests/core/test_personal_data.py` fails when a model gains a personal-looking column that is
in neither list, so the erasure and docs/privacy.md cannot silently fall behind the models.
`accounts.erasure.member_erase` runs every registered eraser for one member.
"""

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

# What replaces a person's value inside text that stays (an audit reason, a stored answer).
ERASED = "[erased]"

# Column names that suggest personal data; the test holds every model's columns against it.
PERSONAL_LOOKING = re.compile(
    r"(^|_)(e?mail|phone|mobile|name|birth|born|address|ip|body|comment|to|username|agent"
    r"|reason|note|message|data|payload|text|subject|description|repr|detail|error"
    r"|response|before|after|args|kwargs)($|_)"
)


@dataclass(frozen=True)
class Subject:
    """The person being erased, as they were just before: what to look for and replace."""

    member_id: int
    card_number: str
    user_id: int | None
    username: str
    email: str
    phone: str
    first_name: str
    last_name: str
    birth_date: datetime.date | None

    def identifiers(self) -> list[str]:
        """Values that single the person out: a row holding one is about them."""
        values = (self.email, self.phone, self.username, self.card_number)
        return [value for value in values if value]

    def needles(self) -> list[str]:
        """Every way their personal values may be written inside a text, longest first."""
        values = [self.email, self.phone, self.first_name, self.last_name]
        values.append(f"{self.first_name} {self.last_name}".strip())
        if self.phone.startswith("+31"):
            values.append("0" + self.phone[3:])  # the national way of writing it
        if self.birth_date:
            values += [self.birth_date.isoformat(), self.birth_date.strftime("%d-%m-%Y")]
        return sorted({value for value in values if value}, key=len, reverse=True)


def scrub(text: str, subject: Subject) -> str:
    """The text with each of the person's values replaced (names as whole words only)."""
    for needle in subject.needles():
        pattern = rf"(?<!\w){re.escape(needle)}(?!\w)"
        text = re.sub(pattern, ERASED, text, flags=re.IGNORECASE)
    return text


def scrub_json(value: Any, subject: Subject) -> Any:
    """A JSON value with the person's values replaced in every string, keys included."""
    if isinstance(value, str):
        return scrub(value, subject)
    if isinstance(value, list):
        return [scrub_json(item, subject) for item in value]
    if isinstance(value, dict):
        return {scrub(key, subject): scrub_json(item, subject) for key, item in value.items()}
    return value


def mentioning(subject: Subject, fields: Iterable[str]) -> Q:
    """Rows with one of the person's identifiers in one of these text or JSON columns."""
    condition = Q(pk__in=[])
    for identifier in subject.identifiers():
        for field in fields:
            condition |= Q(**{f"{field}__icontains": identifier})
    return condition


def scrub_rows(queryset: QuerySet, fields: Iterable[str], subject: Subject) -> int:
    """Replaces the person's values in these text and JSON columns of the rows; returns how
    many rows changed. Append-only rows go through `erase_personal` (the narrow way)."""
    fields = list(fields)
    changed_rows = 0
    for row in queryset.only(*fields).order_by("pk"):
        changed = {}
        for field in fields:
            value = getattr(row, field)
            new = scrub(value, subject) if isinstance(value, str) else scrub_json(value, subject)
            if new != value:
                changed[field] = new
        if changed:
            rows = type(row)._default_manager.filter(pk=row.pk)
            if hasattr(rows, "erase_personal"):
                rows.erase_personal(**changed)
            else:
                rows.update(**changed)
            changed_rows += 1
    return changed_rows


@dataclass(frozen=True)
class PersonalFields:
    label: str  # "app_label.ModelName"
    fields: tuple[str, ...]
    erase: Callable[[Subject], None]


REGISTRY: list[PersonalFields] = []
NOT_PERSONAL: dict[str, dict[str, str]] = {}


def register(label: str, fields: Iterable[str], erase: Callable[[Subject], None]) -> None:
    REGISTRY[:] = [entry for entry in REGISTRY if entry.label != label]
    REGISTRY.append(PersonalFields(label, tuple(fields), erase))


def not_personal(label: str, **why: str) -> None:
    NOT_PERSONAL.setdefault(label, {}).update(why)


def erase_everywhere(subject: Subject) -> None:
    """Runs every registered eraser; call inside the erasure's transaction."""
    for entry in REGISTRY:
        entry.erase(subject)
