"""What every API view shares: parsing, money fields, and answering writes once per
Idempotency-Key."""

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import InvalidInput
from .idempotency import replay_or_run

MONEY = {"max_digits": 12, "decimal_places": 2, "coerce_to_string": True}


def money_field(**kwargs) -> serializers.DecimalField:
    """Money in, as a string or number with at most two decimals; money out, as a string."""
    options = {**MONEY, "min_value": 0, **kwargs}
    return serializers.DecimalField(**options)


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


def run_idempotent(request, *, scope: str, request_hash: str, work) -> Response:
    """Runs `work() -> (status, body)` once per Idempotency-Key of the calling store (when the
    client sends one), through `replay_or_run`: `work` runs inside its durable transaction."""
    answer = replay_or_run(
        client=f"store:{request.auth.store_id}",
        key=idempotency_key(request, required=False),
        scope=scope,
        request_hash=request_hash,
        work=work,
    )
    if answer.replayed:
        return created_or_replayed(answer.body, replayed=True)
    return Response(answer.body, status=answer.status)
