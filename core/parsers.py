"""The API's JSON parser: strict about what it accepts, so bad bodies are a 400, never a 500.

- Nesting deeper than `MAX_JSON_DEPTH` (objects and arrays inside each other) is refused before
  Python's parser could run out of stack on it.
- `NaN`, `Infinity` and `-Infinity` are not JSON and are refused.
- Numbers with a fraction are read as Decimal, never float, so no amount is rounded on the way.

The size of a body is limited by Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` (docs/api.md).
"""

import json
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Our deepest body (a purchase: object → lines → line) is 3 levels; 32 leaves room for growth.
MAX_JSON_DEPTH = getattr(settings, "API_MAX_JSON_DEPTH", 32)


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (without parsing)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not allowed")


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
        except UnicodeDecodeError as error:
            raise ParseError(_("The request body is not valid UTF-8.")) from error
        if json_depth_exceeds(text, MAX_JSON_DEPTH):
            raise ParseError(
                _("The JSON is nested too deeply (%(limit)s levels at most).")
                % {"limit": MAX_JSON_DEPTH},
                code="too_deeply_nested",
            )
        try:
            return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            raise ParseError(_("The request body is not valid JSON.")) from error
