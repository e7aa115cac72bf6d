"""POS API of the rewards app: what a member can get, redeeming, checking codes at the till."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample
from rest_framework.response import Response

from accounts.api.base import PosApiView
from accounts.models import ApiScope
from core.api import idempotency_key, json_answer, stored_response
from core.api_schema import api_operation, idempotency_key_header
from points.api.serializers import basket_lines
from points.selectors import account_of, member_get_by_card
from points.services import validate_basket

from .. import selectors, services
from . import serializers as s


class MemberRewardsApi(PosApiView):
    required_scope = ApiScope.MEMBERS_READ

    @api_operation(
        summary="Rewards this member can see, their unused codes and store credit",
        success={200: s.MemberRewardsOutput},
        card_in_path=True,
    )
    def get(self, request, card_number: str):
        body = selectors.member_rewards_for(member=member_get_by_card(card_number))
        # A key without codes:read sees the last 4 characters of each code, enough to tell
        # codes apart at the counter, not enough to spend them.
        context = {"mask_codes": not request.auth.may(ApiScope.CODES_READ)}
        return Response(s.MemberRewardsOutput(body, context=context).data)


class RedemptionCreateApi(PosApiView):
    required_scope = ApiScope.REWARDS_REDEEM

    @api_operation(
        summary="Buy a reward with points (idempotent on the Idempotency-Key header)",
        request=s.RedemptionInput,
        success={201: s.RedemptionOutput},
        parameters=[idempotency_key_header(required=True)],
        replay=True,
        body=True,
        card_in_path=True,
        errors={
            400: ("idempotency_key_required",),
            403: ("tier_required",),
            404: ("reward_not_found",),
            409: ("idempotency_key_reused", "out_of_stock", "member_limit_reached"),
            422: ("insufficient_points", "points_pending", "not_for_sale", "member_blocked"),
        },
        examples=[OpenApiExample("Reward 1", value={"reward_id": 1}, request_only=True)],
    )
    def post(self, request, card_number: str):
        key = idempotency_key(request, required=True)
        data = self.parse(s.RedemptionInput)
        result = services.reward_redeem(
            store=self.store,
            member=member_get_by_card(card_number),
            reward_id=data["reward_id"],
            idempotency_key=key,
            render=lambda redemption: json_answer(201, s.RedemptionOutput(redemption).data),
        )
        return stored_response(result)


class CheckoutValidateApi(PosApiView):
    required_scope = ApiScope.CODES_VALIDATE

    @api_operation(
        summary="Which codes apply to a basket, the discounts, store credit and amount payable",
        request=s.CheckoutInput,
        success={200: s.CheckoutOutput},
        body=True,
        errors={
            400: ("invalid_card_number", "currency_mismatch", "lines_exceed_amount"),
            404: ("member_not_found",),
            422: ("member_blocked",),
            429: ("too_many_failed_code_checks",),
        },
        examples=[
            OpenApiExample(
                "Two codes and credit",
                value={
                    "card_number": "52810473961",
                    "amount": "60.00",
                    "lines": [
                        {"sku": "KOF-250", "amount": "7.95"},
                        {"sku": "BOEK-01", "amount": "52.05"},
                    ],
                    "codes": ["7KQ2-HX9M-PT4W", "N3RBVC8DLQ5Z"],
                    "store_credit": "10.00",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = self.parse(s.CheckoutInput)
        lines = basket_lines(data)
        validate_basket(
            amount=data["amount"],
            currency=data.get("currency", settings.LOYALTY_CURRENCY),
            lines=lines,
        )
        member = member_get_by_card(data["card_number"])
        result = services.checkout_evaluate(
            member=member,
            account=account_of(member),
            amount=data["amount"],
            lines=lines,
            codes=tuple(data.get("codes", [])),
            store_credit=data.get("store_credit"),
            store_credit_mode=data["store_credit_mode"],
            api_key_id=request.auth.pk,
        )
        return Response(s.CheckoutOutput(result).data)
