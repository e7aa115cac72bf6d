"""POS API of the points app: members, purchases, refunds, activities."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from accounts.api.base import PosApiView
from accounts.api.permissions import require_scope
from accounts.models import ApiScope, Member
from accounts.services import member_enrol
from core.api import created_or_replayed, run_idempotent
from core.api_schema import (
    CARD_NUMBER_DESCRIPTION,
    CARD_NUMBER_PATTERN,
    api_operation,
    idempotency_key_header,
)
from core.errors import InvalidInput

from .. import selectors, services
from . import serializers as s


def summary_body(member: Member) -> dict:
    return s.member_summary_out(selectors.member_summary_get(member=member))


class MemberEnrolApi(PosApiView):
    required_scope = ApiScope.MEMBERS_ENROL

    @api_operation(
        summary="Enrol a member",
        request=s.MemberEnrolInput,
        success={201: s.MemberSummaryOutput},
        parameters=[idempotency_key_header(required=False)],
        replay=True,
        body=True,
        errors={
            400: (
                "invalid_email",
                "invalid_phone",
                "invalid_birth_date",
                "unknown_referral_code",
                "max_length",
            ),
            409: ("email_taken", "phone_taken", "idempotency_key_reused"),
        },
        examples=[
            OpenApiExample(
                "Anna",
                value={
                    "email": "anna@example.com",
                    "phone": "06 12345678",
                    "first_name": "Anna",
                    "last_name": "de Vries",
                    "birth_date": "1990-05-17",
                    "language": "nl",
                    "consents": {"email": True, "sms": False, "whatsapp": False},
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        serializer = s.MemberEnrolInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def work():
            member = member_enrol(
                email=data.get("email"),
                phone=data.get("phone"),
                first_name=data["first_name"],
                last_name=data["last_name"],
                birth_date=data.get("birth_date"),
                language=data["language"],
                consents=serializer.consent_map(data),
                store=self.store,
                referral_code=data.get("referral_code") or None,
            )
            return 201, summary_body(member)

        return run_idempotent(
            request,
            scope="enrol",
            request_hash=services.fingerprint(data),
            work=work,
        )


class MemberLookupApi(PosApiView):
    required_scope = ApiScope.MEMBERS_READ

    @api_operation(
        summary="Find a member by card number, e-mail or phone",
        success={200: s.MemberSummaryOutput},
        parameters=[
            OpenApiParameter(
                "card_number", str, pattern=CARD_NUMBER_PATTERN, description=CARD_NUMBER_DESCRIPTION
            ),
            OpenApiParameter("email", str),
            OpenApiParameter("phone", str),
        ],
        errors={
            400: (
                "one_lookup_key_required",
                "invalid_card_number",
                "invalid_email",
                "invalid_phone",
                "null_characters_not_allowed",
            ),
            404: ("member_not_found",),
        },
    )
    def get(self, request):
        params = {
            key: request.query_params.get(key, "").strip()
            for key in ("card_number", "email", "phone")
        }
        given = [key for key, value in params.items() if value]
        if len(given) != 1:
            raise InvalidInput(
                _("Give exactly one of card_number, email or phone."),
                code="one_lookup_key_required",
            )
        member = selectors.member_find(field=given[0], value=params[given[0]])
        return Response(summary_body(member))


class MemberDetailApi(PosApiView):
    required_scope = ApiScope.MEMBERS_READ

    @api_operation(
        summary="A member's points summary", success={200: s.MemberSummaryOutput}, card_in_path=True
    )
    def get(self, request, card_number: str):
        return Response(s.member_summary_out(selectors.member_summary_by_card(card_number)))


class LedgerPagination(PageNumberPagination):
    """Pages of the ledger. A `page` or `page_size` that is not a whole number in range is a
    400 naming it (DRF would quietly use the default instead)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        for name, highest in (("page", None), ("page_size", self.max_page_size)):
            value = request.query_params.getlist(name)
            if not value:
                continue
            number = value[-1]
            if (
                not number.isascii()
                or not number.isdigit()
                or int(number) < 1
                or (highest is not None and int(number) > highest)
            ):
                raise InvalidInput(
                    _("Give a whole number from 1 to %(highest)s.") % {"highest": highest or "…"},
                    code="invalid",
                    field=name,
                )
        return super().paginate_queryset(queryset, request, view)


class MemberLedgerApi(PosApiView):
    required_scope = ApiScope.MEMBERS_READ

    @api_operation(
        summary="A member's ledger, newest first, a page at a time",
        success={200: s.LedgerPageOutput},
        parameters=[
            OpenApiParameter(
                "page", {"type": "integer", "minimum": 1}, description="1 or more (default 1)."
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": 200},
                description="1 to 200 (default 50).",
            ),
        ],
        card_in_path=True,
        errors={400: ("invalid",), 404: ("not_found",)},
    )
    def get(self, request, card_number: str):
        member = selectors.member_get_by_card(card_number)
        paginator = LedgerPagination()
        page = paginator.paginate_queryset(
            selectors.ledger_entries_for(member=member), request, self
        )
        return paginator.get_paginated_response(s.LedgerEntryOutput(page, many=True).data)


PURCHASE_ERRORS = {
    400: (
        "invalid_card_number",
        "currency_mismatch",
        "occurred_in_future",
        "too_old",
        "lines_exceed_amount",
    ),
    403: ("scope_required",),
    404: ("member_not_found",),
    409: ("transaction_id_conflict", "code_used"),
    422: (
        "member_blocked",
        "codes_rejected",
        "insufficient_store_credit",
        "not_combinable_with_codes",
    ),
    429: ("too_many_failed_code_checks",),
}
PURCHASE_EXAMPLE = OpenApiExample(
    "Two lines",
    value={
        "transaction_id": "AMS01-20261123-0042",
        "card_number": "52810473961",
        "amount": "34.40",
        "currency": "EUR",
        "occurred_at": "2026-11-23T14:03:00+01:00",
        "channel": "offline",
        "lines": [
            {"sku": "KOF-250", "category": "coffee", "quantity": "2", "amount": "15.90"},
            {"sku": "BOEK-01", "category": "books", "quantity": "1", "amount": "18.50"},
        ],
    },
    request_only=True,
)


def purchase_request(view: PosApiView, data: dict) -> services.PurchaseRequest:
    if data.get("codes"):
        require_scope(view.request, ApiScope.CODES_VALIDATE)
    return services.PurchaseRequest(
        store=view.store,
        member=selectors.member_get_by_card(data["card_number"]),
        transaction_id=data["transaction_id"],
        amount=data["amount"],
        currency=data["currency"],
        channel=data.get("channel"),
        occurred_at=data.get("occurred_at"),
        lines=s.basket_lines(data),
        codes=tuple(data.get("codes", [])),
        store_credit=data.get("store_credit"),
        store_credit_mode=data["store_credit_mode"],
        api_key_id=view.request.auth.pk,
    )


class PurchaseCreateApi(PosApiView):
    required_scope = ApiScope.PURCHASES_WRITE

    @api_operation(
        summary="Record a purchase and earn points (idempotent on transaction_id)",
        request=s.PurchaseInput,
        success={201: s.PurchaseOutput},
        replay=True,
        body=True,
        errors=PURCHASE_ERRORS,
        examples=[PURCHASE_EXAMPLE],
    )
    def post(self, request):
        # The everyday body is checked by hand; anything else (and every error) by the serializer.
        data = s.purchase_input_fast(request.data) or self.parse(s.PurchaseInput)
        outcome = services.purchase_record(request=purchase_request(self, data))
        return created_or_replayed(
            s.PurchaseOutput(outcome.receipt).data, replayed=outcome.replayed
        )


class PurchaseQuoteApi(PosApiView):
    required_scope = ApiScope.PURCHASES_WRITE

    @api_operation(
        summary="What a purchase would earn; records nothing",
        request=s.QuoteInput,
        success={200: s.QuoteOutput},
        body=True,
        errors={**PURCHASE_ERRORS, 409: (), 422: ("member_blocked",)},
    )
    def post(self, request):
        data = s.purchase_input_fast(request.data, quote=True) or self.parse(s.QuoteInput)
        request_ = purchase_request(self, {"transaction_id": "", **data})
        quote = services.purchase_quote(request=request_)
        return Response(s.QuoteOutput(quote).data)


class RefundCreateApi(PosApiView):
    required_scope = ApiScope.REFUNDS_WRITE

    @api_operation(
        summary="Refund (part of) a purchase of any store of the chain (idempotent on refund_id)",
        request=s.RefundInput,
        success={201: s.RefundOutput},
        parameters=[OpenApiParameter("transaction_id", str, OpenApiParameter.PATH)],
        replay=True,
        body=True,
        errors={
            400: ("null_characters_not_allowed",),
            404: ("purchase_not_found",),
            409: ("refund_id_conflict",),
            422: ("refund_exceeds_purchase",),
        },
        examples=[
            OpenApiExample("Part", value={"refund_id": "R1", "amount": "15.90"}, request_only=True)
        ],
    )
    def post(self, request, transaction_id: str):
        data = self.parse(s.RefundInput)
        outcome = services.refund_record(
            request=services.RefundRequest(
                store=self.store,
                transaction_id=transaction_id,
                refund_id=data["refund_id"],
                amount=data["amount"],
                purchase_store_code=data.get("store_code"),
                lines=tuple(
                    {key: str(value) for key, value in line.items()}
                    for line in data.get("lines", [])
                ),
            )
        )
        return created_or_replayed(s.RefundOutput(outcome.receipt).data, replayed=outcome.replayed)


class ActivityCreateApi(PosApiView):
    required_scope = ApiScope.ACTIVITIES_WRITE

    @api_operation(
        summary="Points for a non-purchase activity (idempotent on reference)",
        request=s.ActivityInput,
        success={201: s.ActivityOutput},
        replay=True,
        body=True,
        errors={
            400: ("invalid_card_number", "unknown_activity_type", "occurred_in_future", "too_old"),
            404: ("member_not_found",),
            409: ("reference_conflict",),
            422: ("member_blocked", "activity_cap_reached"),
        },
    )
    def post(self, request):
        data = self.parse(s.ActivityInput)
        member = selectors.member_get_by_card(data["card_number"])
        outcome = services.activity_record(
            member=member,
            activity_type=services.activity_type_get(data["activity_type"]),
            reference=data["reference"],
            store=self.store,
            occurred_at=data.get("occurred_at"),
        )
        return created_or_replayed(
            s.ActivityOutput(outcome.receipt).data, replayed=outcome.replayed
        )
