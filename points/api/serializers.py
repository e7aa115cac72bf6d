from decimal import Decimal

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ConsentChannel, Store
from core.api import (
    OutputSerializer,
    StrictBooleanField,
    StrictDecimalField,
    money_field,
    money_out,
)
from core.api_schema import CARD_NUMBER_DESCRIPTION, CARD_NUMBER_PATTERN

from ..earning import BasketLine
from ..selectors import entry_description


@extend_schema_field(
    {
        "type": "string",
        "pattern": CARD_NUMBER_PATTERN,
        "example": "52810473961",
        "description": CARD_NUMBER_DESCRIPTION,
    }
)
class CardNumberField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=32, **kwargs)


class ConsentsInput(serializers.Serializer):
    email = StrictBooleanField(required=False, default=False)
    sms = StrictBooleanField(required=False, default=False)
    whatsapp = StrictBooleanField(required=False, default=False)


class MemberEnrolInput(serializers.Serializer):
    email = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=32)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    birth_date = serializers.DateField(required=False, allow_null=True)
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], required=False, default="nl"
    )
    consents = ConsentsInput(required=False)
    referral_code = serializers.CharField(required=False, allow_blank=True, max_length=32)

    def consent_map(self, data: dict) -> dict[str, bool]:
        consents = data.get("consents") or {}
        return {channel: bool(consents.get(channel)) for channel in ConsentChannel.values}


class ExpiringSerializer(serializers.Serializer):
    points = serializers.IntegerField()
    by = serializers.DateTimeField()


class TierOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()
    colour = serializers.CharField()
    threshold = serializers.IntegerField()
    earn_multiplier = serializers.DecimalField(max_digits=4, decimal_places=2)

    def get_name(self, tier) -> str:
        return tier.translated("name")


class MemberSummaryOutput(serializers.Serializer):
    card_number = serializers.CharField(source="member.card_number")
    first_name = serializers.CharField(source="member.first_name")
    last_name = serializers.CharField(source="member.last_name")
    language = serializers.CharField(source="member.language")
    status = serializers.CharField(source="member.status")
    enrolled_at = serializers.DateTimeField(source="member.enrolled_at")
    points_balance = serializers.IntegerField()
    points_expiring_soon = serializers.SerializerMethodField()
    tier = TierOutput(source="tier.tier", allow_null=True)
    next_tier = TierOutput(source="tier.next_tier", allow_null=True)
    qualifying_points = serializers.IntegerField(source="tier.qualifying_points")
    points_to_next_tier = serializers.IntegerField(
        source="tier.points_to_next_tier", allow_null=True
    )
    tier_valid_until = serializers.DateTimeField(source="tier.valid_until", allow_null=True)

    def get_points_expiring_soon(self, summary) -> dict:
        return {
            "points": summary.points_expiring_soon,
            "by": serializers.DateTimeField().to_representation(summary.points_expiring_by),
        }


class LedgerEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    points = serializers.IntegerField()
    balance_after = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    effective_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    transaction_id = serializers.CharField(
        source="purchase.transaction_id", default=None, allow_null=True
    )
    description = serializers.SerializerMethodField()

    def get_description(self, entry) -> str:
        return entry_description(entry)


class LedgerPageOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="Entries in all pages.")
    next = serializers.URLField(allow_null=True, help_text="The next page's address, or null.")
    previous = serializers.URLField(allow_null=True)
    results = LedgerEntryOutput(many=True)


class LineInput(serializers.Serializer):
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    quantity = StrictDecimalField(
        max_digits=10, decimal_places=3, min_value=0, required=False, default=Decimal("1")
    )
    amount = money_field()


def basket_lines(data: dict) -> tuple[BasketLine, ...]:
    return tuple(
        BasketLine(
            sku=line["sku"],
            category=line["category"],
            quantity=line["quantity"],
            amount=line["amount"],
        )
        for line in data.get("lines", [])
    )


class PurchaseInput(serializers.Serializer):
    transaction_id = serializers.CharField(max_length=64)
    card_number = CardNumberField()
    amount = money_field()
    currency = serializers.CharField(max_length=3, min_length=3)
    occurred_at = serializers.DateTimeField(required=False)
    channel = serializers.ChoiceField(choices=Store.Channel.choices, required=False)
    lines = LineInput(many=True, required=False, max_length=1000)
    codes = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, max_length=10
    )
    store_credit = money_field(required=False)


class QuoteInput(PurchaseInput):
    transaction_id = serializers.CharField(max_length=64, required=False)


class ExplanationLineOutput(OutputSerializer):
    source = serializers.CharField()
    source_id = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()
    points = serializers.IntegerField()


class CodeVerdictOutput(OutputSerializer):
    code = serializers.CharField()
    status = serializers.ChoiceField(choices=["applied", "rejected"])
    discount = money_out()
    reason = serializers.CharField(allow_null=True)
    reward = serializers.CharField(required=False)
    message = serializers.CharField(required=False)
    conflicts_with = serializers.CharField(required=False)


class StoreCreditVerdictOutput(OutputSerializer):
    requested = money_out()
    available = money_out()
    used = money_out()
    reason = serializers.CharField(allow_null=True)
    message = serializers.CharField(required=False)


class PurchaseOutput(OutputSerializer):
    transaction_id = serializers.CharField()
    card_number = serializers.CharField()
    store = serializers.CharField()
    amount = money_out()
    currency = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    points_earned = serializers.IntegerField()
    explanation = ExplanationLineOutput(many=True)
    points_balance = serializers.IntegerField()
    discount_total = money_out()
    store_credit_used = money_out()
    amount_payable = money_out()
    # With codes or store credit at the till: the verdicts.
    codes = CodeVerdictOutput(many=True, required=False)
    store_credit = StoreCreditVerdictOutput(required=False)


class QuoteOutput(OutputSerializer):
    card_number = serializers.CharField()
    amount = money_out()
    currency = serializers.CharField()
    points_earned = serializers.IntegerField()
    explanation = ExplanationLineOutput(many=True)
    points_balance = serializers.IntegerField()
    points_balance_after = serializers.IntegerField()
    discount_total = money_out()
    store_credit_used = money_out()
    amount_payable = money_out()
    codes = CodeVerdictOutput(many=True, required=False)
    store_credit = StoreCreditVerdictOutput(required=False)


class RefundInput(serializers.Serializer):
    refund_id = serializers.CharField(max_length=64)
    amount = money_field(min_value=Decimal("0.01"))
    lines = LineInput(many=True, required=False, max_length=1000)


class RefundOutput(OutputSerializer):
    transaction_id = serializers.CharField()
    refund_id = serializers.CharField()
    amount = money_out()
    points_reversed = serializers.IntegerField()
    points_balance = serializers.IntegerField()
    refunded_total = money_out()
    # When the purchase used store credit or codes: what the refund gave back.
    codes_restored = serializers.ListField(child=serializers.CharField(), required=False)
    store_credit_returned = money_out(required=False)


class ActivityInput(serializers.Serializer):
    card_number = CardNumberField()
    activity_type = serializers.CharField(max_length=50)
    reference = serializers.CharField(max_length=100)
    occurred_at = serializers.DateTimeField(required=False)


class ActivityOutput(OutputSerializer):
    card_number = serializers.CharField()
    activity_type = serializers.CharField()
    reference = serializers.CharField()
    points_earned = serializers.IntegerField()
    points_balance = serializers.IntegerField()
