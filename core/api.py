"""What every API view shares: parsing, money fields, and answering writes once per
Idempotency-Key."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import InvalidInput
from .idempotency import IdempotentAnswer, StoredAnswer, replay_or_run

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


def money_field(**kwargs) -> serializers.DecimalField:
    """Money in, as a string or number with at most two decimals; money out, as a string."""
    options = {**MONEY, "min_value": 0, **kwargs}
    return serializers.DecimalField(**options)


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


class ApiView(APIView):
    """An API view that validates its input with a serializer."""

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


def idempotency_key(request, *, required: bool) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        if required:
            raise InvalidInput(
                _("Send an Idempotency-Key header."),
                code="idempotency_key_required",
                field="Idempotency-Key",
            )
        return None
    if len(key) > 255:
        raise InvalidInput(
            _("The Idempotency-Key is too long (255 characters at most)."),
            code="max_length",
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
