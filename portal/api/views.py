"""The member API for the web shop (docs/member-api.md).

The shop's server exchanges a card number or a verified e-mail for a member token
(`MemberTokenCreateApi`, a key with the scope `members:tokens`); the shop's page then reads and
redeems for that one member (`MemberApiView`: the token is the only credential these routes
take). Every read and write is the tills' own: the same selectors, `reward_redeem` with its
Idempotency-Key, the same quote.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework.response import Response

from accounts.api.base import MemberApiView, PosApiView
from accounts.api.throttling import ApiKeyRateThrottle, MemberTokenMintThrottle
from accounts.member_tokens import lifetime, member_token_issue
from accounts.models import ApiScope, Store
from core.api import idempotency_key, json_answer, stored_response
from core.api_schema import api_operation, idempotency_key_header
from core.errors import InvalidInput, NotFound
from core.queries import one_or_none
from points.api.serializers import LedgerEntryOutput, LedgerPageOutput, QuoteOutput, basket_lines
from points.api.views import LedgerPagination
from points.selectors import ledger_entries_for, member_find
from points.services import PurchaseRequest, purchase_quote
from rewards.api.serializers import MemberRewardsOutput, RedemptionInput, RedemptionOutput
from rewards.selectors import codes_for, member_rewards_for, unused_codes_for
from rewards.services import reward_redeem

from .. import selectors
from . import serializers as s


class MemberTokenCreateApi(PosApiView):
    required_scope = ApiScope.MEMBER_TOKENS
    throttle_classes = [ApiKeyRateThrottle, MemberTokenMintThrottle]

    @api_operation(
        summary="A short-lived member token for the web shop's page (card number or e-mail)",
        description=(
            "Called by the shop's server, never from the browser (the key is a secret). Give "
            "exactly one of `card_number` or `email` (an address the shop verified). The token "
            "acts for that member on the `/api/v1/me/` routes for 15 minutes, and stops at once "
            "when the member is blocked or erased or the key is revoked."
        ),
        request=s.MemberTokenInput,
        success={201: s.MemberTokenOutput},
        body=True,
        errors={
            400: ("one_lookup_key_required", "invalid_card_number", "invalid_email"),
            404: ("member_not_found",),
            422: ("member_blocked",),
        },
        examples=[
            OpenApiExample("By card", value={"card_number": "52810473961"}, request_only=True)
        ],
    )
    def post(self, request):
        data = self.parse(s.MemberTokenInput)
        given = [name for name in ("card_number", "email") if data.get(name, "").strip()]
        if len(given) != 1:
            raise InvalidInput(
                _("Give exactly one of card_number or email."), code="one_lookup_key_required"
            )
        member = member_find(field=given[0], value=data[given[0]].strip())
        token = member_token_issue(member=member, api_key=request.auth)
        body = {
            "token": token.token,
            "token_type": "Bearer",
            "expires_at": token.expires_at,
            "expires_in": int(lifetime().total_seconds()),
        }
        return Response(s.MemberTokenOutput(body).data, status=201)


class MeApi(MemberApiView):
    @api_operation(
        summary="The member's balance, points expiring, tier and tier progress, store credit",
        success={200: s.MeOutput},
        member_route=True,
    )
    def get(self, request):
        return Response(s.MeOutput(selectors.member_overview_for(self.member)).data)


class MeLedgerApi(MemberApiView):
    @api_operation(
        summary="The member's ledger, newest first, a page at a time",
        success={200: LedgerPageOutput},
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
        errors={400: ("invalid", "null_characters_not_allowed"), 404: ("not_found",)},
        member_route=True,
    )
    def get(self, request):
        paginator = LedgerPagination()
        page = paginator.paginate_queryset(ledger_entries_for(member=self.member), request, self)
        return paginator.get_paginated_response(LedgerEntryOutput(page, many=True).data)


class MeRewardsApi(MemberApiView):
    @api_operation(
        summary="Rewards the member can buy, their unused codes (in full) and store credit",
        success={200: MemberRewardsOutput},
        member_route=True,
    )
    def get(self, request):
        body = member_rewards_for(member=self.member)
        return Response(MemberRewardsOutput(body, context={"mask_codes": False}).data)


class MeCodesApi(MemberApiView):
    @api_operation(
        summary="The member's unused codes, soonest to expire first",
        success={200: s.MeCodeOutput(many=True)},
        member_route=True,
    )
    def get(self, request):
        codes = unused_codes_for(member=self.member)
        return Response(s.MeCodeOutput(codes, many=True, context={"mask_codes": False}).data)


class MeCodeDetailApi(MemberApiView):
    @api_operation(
        summary="One of the member's codes (used and expired ones too)",
        success={200: s.MeCodeOutput},
        parameters=[
            OpenApiParameter(
                "code_id",
                str,
                OpenApiParameter.PATH,
                pattern=r"^[0-9]{1,18}$",
                description="The code's `id` (from `GET /api/v1/me/codes/`).",
            )
        ],
        errors={400: ("null_characters_not_allowed",), 404: ("code_not_found",)},
        member_route=True,
    )
    def get(self, request, code_id: str):
        # Another member's code is "not found", exactly like one that does not exist.
        issued = (
            one_or_none(codes_for(member=self.member).filter(pk=int(code_id)))
            if code_id.isascii() and code_id.isdigit() and len(code_id) <= 18
            else None
        )
        if issued is None or not issued.code:
            raise NotFound(_("You have no code with this id."), code="code_not_found", field="id")
        return Response(s.MeCodeOutput(issued, context={"mask_codes": False}).data)


class MeRedemptionCreateApi(MemberApiView):
    @api_operation(
        summary="Buy a reward with the member's points (idempotent on the Idempotency-Key)",
        request=RedemptionInput,
        success={201: RedemptionOutput},
        parameters=[idempotency_key_header(required=True)],
        replay=True,
        body=True,
        errors={
            400: ("idempotency_key_required",),
            403: ("tier_required",),
            404: ("reward_not_found",),
            409: ("idempotency_key_reused", "out_of_stock", "member_limit_reached"),
            422: ("insufficient_points", "not_for_sale", "member_blocked"),
        },
        examples=[OpenApiExample("Reward 1", value={"reward_id": 1}, request_only=True)],
        member_route=True,
    )
    def post(self, request):
        key = idempotency_key(request, required=True)
        data = self.parse(RedemptionInput)
        # The till's redemption, in the namespace of the store whose key issued the token.
        result = reward_redeem(
            store=self.token.store,
            member=self.member,
            reward_id=data["reward_id"],
            idempotency_key=key,
            render=lambda redemption: json_answer(201, RedemptionOutput(redemption).data),
        )
        return stored_response(result)


class MeQuoteApi(MemberApiView):
    @api_operation(
        summary="What a basket in the web shop would earn this member; records nothing",
        request=s.MeQuoteInput,
        success={200: QuoteOutput},
        body=True,
        errors={
            400: ("currency_mismatch", "lines_exceed_amount"),
            422: ("member_blocked",),
        },
        examples=[
            OpenApiExample(
                "Basket",
                value={"amount": "34.40", "lines": [{"sku": "KOF-250", "amount": "15.90"}]},
                request_only=True,
            )
        ],
        member_route=True,
    )
    def post(self, request):
        data = self.parse(s.MeQuoteInput)
        quote = purchase_quote(
            request=PurchaseRequest(
                store=self.token.store,
                member=self.member,
                transaction_id="",
                amount=data["amount"],
                currency=data["currency"],
                channel=Store.Channel.ONLINE,
                lines=basket_lines(data),
                api_key_id=self.token.api_key.pk,
            )
        )
        return Response(QuoteOutput(quote).data)
