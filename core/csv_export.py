"""CSV downloads that Excel opens as a table, in the language of the person downloading.

Every CSV export goes through `csv_response`. Excel reads a CSV with the list separator and
decimal sign of the computer's region and guesses the encoding, so a Dutch download uses
semicolons and decimal commas (12,50), an English one commas and points (12.50), and both start
with a UTF-8 byte-order mark (without it Excel shows "€" as "â‚¬"). Dates and times follow the
language's first input format (29-11-2026 in Dutch, 2026-11-29 in English), in the shop's time
zone. Text that Excel would run as a formula (=, +, -, @, but not a plain +31 6… number) gets a
leading apostrophe.
"""

import csv
import datetime
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-][\d ]+")  # a phone number (+31 6…) is no formula


class _Echo:
    def write(self, value: str) -> str:
        return value


class CsvDialect:
    """The separators and formats of one language."""

    def __init__(self, language: str | None = None) -> None:
        self.language = language or translation.get_language() or "en"
        self.decimal = formats.get_format("DECIMAL_SEPARATOR", self.language)
        self.delimiter = ";" if self.decimal == "," else ","
        self.date_format = formats.get_format("DATE_INPUT_FORMATS", self.language)[0]
        # Minutes are enough for an export; the seconds only make columns wider.
        self.datetime_format = self.date_format + " %H:%M"
        with translation.override(self.language):  # the file is written after the view returns
            self.yes, self.no = _("yes"), _("no")

    def cell(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, int):
            return str(value)
        if isinstance(value, Decimal | float):
            return str(value).replace(".", self.decimal)
        if isinstance(value, datetime.datetime):
            if timezone.is_aware(value):
                value = timezone.localtime(value)
            return value.strftime(self.datetime_format)
        if isinstance(value, datetime.date):
            return value.strftime(self.date_format)
        text = str(value)
        if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
            return "'" + text
        return text


def csv_rows(header: Sequence[Any], rows: Iterable[Sequence[Any]], dialect: CsvDialect):
    """The lines of the file, the byte-order mark first."""
    writer = csv.writer(_Echo(), delimiter=dialect.delimiter)
    yield BOM + writer.writerow(header)
    for row in rows:
        yield writer.writerow([dialect.cell(value) for value in row])


def csv_response(
    *, filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed download; `rows` may be a generator (read while the file is sent)."""
    dialect = CsvDialect()
    titles = [str(title) for title in header]  # translated now, in the request's language
    response = StreamingHttpResponse(
        csv_rows(titles, rows, dialect), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
