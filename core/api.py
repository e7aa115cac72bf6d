"""What every API view shares: parsing, money fields, and answering writes once per
Idempotency-Key."""

import re
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import InvalidInput
from .idempotency import IdempotentAnswer, StoredAnswer, replay_or_run

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}
# A plain decimal: ASCII digits, at most one dot, nothing else ("1_000", "١٢", "1e3", " 5" and
# "-0" are not amounts). The sign is matched only to answer "min_value" rather than "invalid".
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


@extend_schema_field(OpenApiTypes.STR)
class StrictDecimalField(serializers.DecimalField):
    """A decimal sent as a plain decimal string (`"24.95"`), or as a JSON number that reads as
    one (the parser keeps JSON numbers as exact Decimals): never a boolean, never negative,
    no exponent, underscores, spaces or non-ASCII digits."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        whole = self.max_digits - self.decimal_places
        # The schema states the exact shape (drf-spectacular reads it from here): the text is
        # what clients should send; a JSON number is accepted too, so the schema says so.
        self._spectacular_annotation = {
            "field": {
                "oneOf": [
                    {
                        "type": "string",
                        "pattern": rf"^[0-9]{{1,{whole}}}(\.[0-9]{{1,{self.decimal_places}}})?$",
                        "example": "24.95" if self.decimal_places == 2 else "1",
                    },
                    {"type": "number", "minimum": 0, "maximum": 10**whole - 1},
                ]
            }
        }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | Decimal):
            self.fail("invalid")
        text = str(data)
        if not PLAIN_DECIMAL.fullmatch(text):
            self.fail("invalid")
        if text.startswith("-"):
            self.fail("min_value", min_value=self.min_value or 0)
        return self.quantize(self.validate_precision(Decimal(text)))


class StrictBooleanField(serializers.BooleanField):
    """A JSON `true` or `false`; not 0, 1, "yes" or "true"."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictCharField(serializers.CharField):
    """A JSON string; not a number DRF would turn into one (`0` for `"0"`), which the schema
    does not allow and schemathesis rightly reports as accepted."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")  # CharField's own "Not a valid string."
        return super().to_internal_value(data)


def money_field(**kwargs) -> serializers.DecimalField:
    """Money in, as a plain decimal string with at most two decimals; out as a string."""
    options = {**MONEY, "min_value": 0, **kwargs}
    return StrictDecimalField(**options)


def money_out(**kwargs) -> serializers.DecimalField:
    """Money in an answer: a Decimal written as text with two decimals (`"24.95"`)."""
    return serializers.DecimalField(**MONEY, **kwargs)


class OutputSerializer(serializers.Serializer):
    """An answer's shape. A field marked `required=False` is left out when it has no value
    (a purchase without codes has no `codes` key), so optional keys are either there with a
    value or absent, as the schema says."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name, field in self.fields.items():
            if not field.required and name in data and data[name] is None:
                del data[name]
        return data


def refuse_null_characters(values: dict[str, str]) -> None:
    """Path segments and query parameters reach SQL as text, where NUL cannot be stored."""
    for name, value in values.items():
        if "\x00" in value:
            raise InvalidInput(
                _("Null characters are not allowed."),
                code="null_characters_not_allowed",
                field=name,
            )


class ApiView(APIView):
    """An API view that validates its input with a serializer."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        refuse_null_characters({name: str(value) for name, value in kwargs.items()})
        refuse_null_characters({name: value for name, value in request.query_params.items()})

    def parse(self, serializer_class, data=None) -> dict:
        serializer = serializer_class(data=self.request.data if data is None else data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


REPLAYED_HEADER = {"Idempotent-Replayed": "true"}


def created_or_replayed(body: dict, *, replayed: bool) -> Response:
    """201 the first time; 200 with the original body and a marker header on a retry."""
    if replayed:
        return Response(body, status=200, headers=REPLAYED_HEADER)
    return Response(body, status=201)


IDEMPOTENCY_KEY_SHAPE = re.compile(r"[!-~]{1,255}")


def idempotency_key(request, *, required: bool) -> str | None:
    sent = request.headers.get("Idempotency-Key")
    key = (sent or "").strip()
    if not key:
        if required:
            raise InvalidInput(
                _("Send an Idempotency-Key header."),
                code="idempotency_key_required",
                field="Idempotency-Key",
            )
        if sent is not None:  # sent, but empty: not the "no key" the schema allows
            raise InvalidInput(
                _("The Idempotency-Key is empty: send a key, or no header at all."),
                code="blank",
                field="Idempotency-Key",
            )
        return None
    if len(key) > 255:
        raise InvalidInput(
            _("The Idempotency-Key is too long (255 characters at most)."),
            code="max_length",
            field="Idempotency-Key",
        )
    if not IDEMPOTENCY_KEY_SHAPE.fullmatch(key):  # the shape the schema documents
        raise InvalidInput(
            _("The Idempotency-Key may hold visible ASCII characters only, no spaces."),
            code="invalid",
            field="Idempotency-Key",
        )
    return key


JSON_CONTENT_TYPE = "application/json"


def json_answer(status: int, data) -> StoredAnswer:
    """Rendered answer data as the exact bytes the client gets."""
    return StoredAnswer(
        status=status,
        content=JSONRenderer().render(data),
        headers={"Content-Type": JSON_CONTENT_TYPE},
    )


def run_idempotent(request, *, scope: str, request_hash: str, work) -> HttpResponse:
    """Runs `work() -> (status, rendered data)` once per Idempotency-Key of the calling store
    (when the client sends one), through `replay_or_run`: `work` runs inside its durable
    transaction, and its answer is stored as the bytes sent. A retry gets those same bytes
    with status 200 and `Idempotent-Replayed: true`."""

    def rendered() -> StoredAnswer:
        status, data = work()
        return json_answer(status, data)

    return stored_response(
        replay_or_run(
            client=f"store:{request.auth.store_id}",
            key=idempotency_key(request, required=False),
            scope=scope,
            request_hash=request_hash,
            work=rendered,
        )
    )


def stored_response(result: IdempotentAnswer) -> HttpResponse:
    """The stored bytes as sent the first time; a replay answers 200 with the marker header."""
    answer = result.answer
    response = HttpResponse(answer.content, status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    if result.replayed:
        response.status_code = 200
        for name, value in REPLAYED_HEADER.items():
            response[name] = value
    return response
