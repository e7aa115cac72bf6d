"""The POS API's OpenAPI contract, stated next to each view with `api_operation`.

Every operation documents its success answer (and, for writes that can be retried, the replay
`200` with its `Idempotent-Replayed` header), every error status it can answer with the error
schema and the exact codes (an `enum`), and examples. `tests/api/test_contract.py` sends real
requests and checks each answer against this schema; CI runs schemathesis against a live server
(`tests/api/test_schemathesis.py`). `ERROR_CODES` is the full table of codes, checked against the
README and docs/api.md.
"""

from collections.abc import Iterable

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

ERROR_REF = "#/components/schemas/Error"

# What DRF's fields and our parser answer for a body or field of the wrong shape.
VALIDATION_CODES = (
    "malformed_json",
    "too_deeply_nested",
    "invalid",
    "required",
    "null",
    "blank",
    "empty",
    "max_length",
    "min_length",
    "min_value",
    "max_value",
    "max_digits",
    "max_whole_digits",
    "max_decimal_places",
    "max_string_length",
    "invalid_choice",
    "not_a_list",
    "not_a_dict",
    "null_characters_not_allowed",
    "surrogate_characters_not_allowed",
    "date",
    "datetime",
    "make_aware",
    "overflow",
)

# Every code the API answers, with its status and what it means: the README's and
# docs/api.md's tables are checked against this one.
ERROR_CODES: dict[str, tuple[int, str]] = {
    **{code: (400, "the body or a field has the wrong shape") for code in VALIDATION_CODES},
    "malformed_json": (400, "the body is not JSON (or uses NaN/Infinity)"),
    "too_deeply_nested": (400, "JSON nested deeper than 32 levels"),
    "null_characters_not_allowed": (400, "a NUL character in a field, path or query"),
    "invalid_card_number": (400, "the check digit is wrong: a typo"),
    "currency_mismatch": (400, "not the programme's currency"),
    "occurred_in_future": (400, "`occurred_at` more than 5 minutes ahead"),
    "too_old": (400, "`occurred_at` more than 90 days ago"),
    "lines_exceed_amount": (400, "the lines add up to more than the amount"),
    "invalid_email": (400, "not an e-mail address"),
    "invalid_phone": (400, "not a phone number"),
    "invalid_birth_date": (400, "a birth date in the future or too long ago"),
    "unknown_activity_type": (400, "no active activity type with this code"),
    "unknown_referral_code": (400, "no member with this referral code"),
    "one_lookup_key_required": (400, "give exactly one of card_number, email, phone"),
    "idempotency_key_required": (400, "send an Idempotency-Key header"),
    "bad_request": (400, "a request refused before it reached the API (a bad Host header)"),
    "not_authenticated": (401, "no `Authorization: Api-Key …` (or `Bearer …`) header"),
    "authentication_failed": (401, "unknown or revoked key; a member token not valid (any more)"),
    "token_expired": (401, "the member token has expired: get a new one"),
    "scope_required": (403, "the key lacks the scope named in `scope`"),
    "tier_required": (403, "the reward is for a higher tier"),
    "not_found": (404, "no such address or page"),
    "member_not_found": (404, "no member with this card number, e-mail or phone"),
    "purchase_not_found": (404, "no purchase with this id in this store"),
    "reward_not_found": (404, "no reward on offer with this id"),
    "code_not_found": (404, "none of this member's codes has this id"),
    "method_not_allowed": (405, "the address does not take this method"),
    "not_acceptable": (406, "the client does not accept JSON"),
    "email_taken": (409, "the e-mail belongs to another member"),
    "phone_taken": (409, "the phone number belongs to another member"),
    "transaction_id_conflict": (409, "the transaction id was used for another purchase"),
    "refund_id_conflict": (409, "the refund id was used for another refund"),
    "reference_conflict": (409, "the reference was used for another activity"),
    "idempotency_key_reused": (409, "the Idempotency-Key was used for another request"),
    "out_of_stock": (409, "the reward is sold out"),
    "member_limit_reached": (409, "the member has bought this reward as often as allowed"),
    "code_used": (409, "a code was used meanwhile (named in the message)"),
    "request_too_large": (413, "the body is over 1 MiB"),
    "unsupported_media_type": (415, "the body is not `application/json`"),
    "member_blocked": (
        422,
        "the member is blocked, or the card was merged into another member just now: look it "
        "up again",
    ),
    "refund_exceeds_purchase": (422, "more than is left of the purchase (`refundable_amount`)"),
    "activity_cap_reached": (422, "the activity's cap for the period is reached"),
    "insufficient_points": (422, "not enough points"),
    "points_pending": (
        422,
        "not enough spendable points; enough with the pending ones (`points_pending`), "
        "which are spendable once their return window ends",
    ),
    "not_for_sale": (422, "the reward cannot be bought with points"),
    "codes_rejected": (422, "a code cannot be used (each code's verdict in `codes`)"),
    "insufficient_store_credit": (
        422,
        "not enough store credit (`store_credit_available`) with `store_credit_mode` `exact`, "
        "the default",
    ),
    "not_combinable_with_codes": (422, "store credit may not be used with a code here"),
    "throttled": (429, "too many requests for this key (`Retry-After`)"),
    "too_many_failed_code_checks": (429, "too many unknown codes tried (`Retry-After`: later)"),
    "server_error": (500, "a fault on our side"),
    "service_unavailable": (503, "the database is unavailable (`Retry-After`)"),
}

MESSAGES = {
    400: "The request is not valid.",
    401: "The key (or member token) is missing, unknown, revoked or expired.",
    403: "The key may not do this.",
    404: "Not found.",
    406: "The client must accept application/json.",
    409: "Conflicts with what was recorded before.",
    413: "The request body is too large.",
    415: "Send application/json.",
    422: "Valid, but refused by a business rule.",
    429: "Too many requests; wait for Retry-After seconds.",
    500: "A fault on our side; the request may be retried.",
    503: "Temporarily unavailable; retry after Retry-After seconds (writes are idempotent).",
}

# Every operation: authentication, scope, content negotiation, rate limit, faults.
COMMON_ERRORS: dict[int, tuple[str, ...]] = {
    401: ("not_authenticated", "authentication_failed"),
    403: ("scope_required",),
    406: ("not_acceptable",),
    429: ("throttled",),
    500: ("server_error",),
    503: ("service_unavailable",),
}
# Every member route (a member token, no scopes).
MEMBER_COMMON_ERRORS: dict[int, tuple[str, ...]] = {
    401: ("not_authenticated", "authentication_failed", "token_expired"),
    406: ("not_acceptable",),
    429: ("throttled",),
    500: ("server_error",),
    503: ("service_unavailable",),
}
# Every operation with a JSON body.
BODY_ERRORS: dict[int, tuple[str, ...]] = {
    400: VALIDATION_CODES,
    413: ("request_too_large",),
    415: ("unsupported_media_type",),
}
# Every operation with a card number in its path.
CARD_PATH_ERRORS: dict[int, tuple[str, ...]] = {
    400: ("invalid_card_number", "null_characters_not_allowed"),
    404: ("member_not_found",),
}

# What the API takes as a card number: ours (11 digits, the last a Damm check digit), or a legacy
# card kept on import or the card of a merged member (letters and digits, up to 32); spaces,
# dashes and dots are ignored. A typo in one of ours is 400, an unknown number 404.
CARD_NUMBER_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z .-]{0,39}$"
CARD_NUMBER_DESCRIPTION = (
    "The member's card number: 11 digits, the last a Damm check digit (a typo is 400), or a "
    "legacy card number kept on import or the card of a merged member (letters and digits, up "
    "to 32). Spaces, dashes and dots are ignored."
)
CARD_NUMBER = OpenApiParameter(
    "card_number",
    str,
    OpenApiParameter.PATH,
    description=CARD_NUMBER_DESCRIPTION,
    pattern=CARD_NUMBER_PATTERN,
    examples=[OpenApiExample("card", value="52810473961")],
)
REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    enum=["true"],
    description="Present on a replay: this is the stored first answer, byte for byte.",
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    response=[429, 503],
    description="Seconds to wait before trying again.",
)


def idempotency_key_header(*, required: bool) -> OpenApiParameter:
    return OpenApiParameter(
        "Idempotency-Key",
        str,
        OpenApiParameter.HEADER,
        required=required,
        pattern=r"^[!-~]{1,255}$",
        description=(
            "Up to 255 characters, unique per request of this store's keys: a retry with the "
            "same key and body answers 200 with the first answer; another body, 409."
        ),
    )


def merge(*tables: dict[int, Iterable[str]]) -> dict[int, tuple[str, ...]]:
    merged: dict[int, list[str]] = {}
    for table in tables:
        for status, codes in table.items():
            merged.setdefault(status, [])
            merged[status].extend(code for code in codes if code not in merged[status])
    return {status: tuple(codes) for status, codes in sorted(merged.items()) if codes}


def error_response(status: int, codes: tuple[str, ...]) -> OpenApiResponse:
    example_code = (
        codes[0]
        if status != 400
        else next((code for code in codes if code not in VALIDATION_CODES), "required")
    )
    return OpenApiResponse(
        response={
            "allOf": [
                {"$ref": ERROR_REF},
                {"type": "object", "properties": {"code": {"type": "string", "enum": list(codes)}}},
            ]
        },
        description=f"{MESSAGES[status]} Codes: " + ", ".join(f"`{code}`" for code in codes),
        examples=[
            OpenApiExample(
                example_code,
                value={
                    "code": example_code,
                    "message": MESSAGES[status],
                    "field": "card_number" if status in (400, 404) else None,
                },
                response_only=True,
                status_codes=[str(status)],
            )
        ],
    )


def api_operation(
    *,
    summary: str,
    success: dict[int, object],
    errors: dict[int, tuple[str, ...]] | None = None,
    request=None,
    parameters: list[OpenApiParameter] | None = None,
    replay: bool = False,
    body: bool = False,
    card_in_path: bool = False,
    examples: list[OpenApiExample] | None = None,
    description: str = "",
    member_route: bool = False,
):
    """`extend_schema` for one POS operation: success, replay, every error and its codes.
    `member_route`: called with a member token (docs/member-api.md), not a key."""
    tables = [MEMBER_COMMON_ERRORS if member_route else COMMON_ERRORS]
    if body:
        tables.append(BODY_ERRORS)
    if card_in_path:
        tables.append(CARD_PATH_ERRORS)
    tables.append(errors or {})
    responses: dict[int, object] = dict(success)
    params = list(parameters or [])
    if card_in_path:
        params.append(CARD_NUMBER)
    if replay:
        first = next(iter(success.values()))
        responses[200] = OpenApiResponse(
            first, description="A retry of a request already answered: the first answer."
        )
        params.append(REPLAYED)
    params.append(RETRY_AFTER)
    for status, codes in merge(*tables).items():
        responses[status] = error_response(status, codes)
    return extend_schema(
        summary=summary,
        description=description,
        request=request,
        responses=responses,
        parameters=params,
        examples=examples or [],
    )


def error_component_hook(result, generator, request, public):
    """Adds the error schema every error response refers to."""
    problem = {
        "type": "object",
        "required": ["code", "message", "field"],
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": "string", "nullable": True},
        },
    }
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = {
        "type": "object",
        "description": "Every error: a code from the table, a message in the request's "
        "language, and the field it is about (null when none). Several problems of one "
        "request are all listed under `errors`.",
        "required": ["code", "message", "field"],
        "properties": {
            **problem["properties"],
            "errors": {"type": "array", "items": problem},
            "scope": {"type": "string", "description": "`scope_required`: the scope needed."},
            "refundable_amount": {"type": "string", "description": "`refund_exceeds_purchase`"},
            "store_credit_available": {"type": "string"},
            "minimum_tier": {"type": "string", "description": "`tier_required`"},
            "codes": {
                "type": "array",
                "description": "`codes_rejected`, `code_used`: each code's verdict.",
                "items": {"type": "object"},
            },
            "used_code": {"type": "string", "description": "`code_used`: the code."},
        },
    }
    return result
