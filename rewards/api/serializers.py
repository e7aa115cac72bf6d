from decimal import Decimal

from rest_framework import serializers

from core.api import OutputSerializer, StrictCharField, money_field, money_out
from points.api.serializers import (
    CardNumberField,
    CodeVerdictOutput,
    LineInput,
    StoreCreditVerdictOutput,
    store_credit_mode_field,
)


class RewardOutput(serializers.Serializer):
    id = serializers.IntegerField(source="reward.pk")
    name = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    kind = StrictCharField(source="reward.kind")
    value = serializers.DecimalField(source="reward.value", max_digits=12, decimal_places=2)
    minimum_spend = serializers.DecimalField(
        source="reward.minimum_spend", max_digits=12, decimal_places=2
    )
    points_cost = serializers.IntegerField(source="reward.points_cost")
    minimum_tier = serializers.SerializerMethodField()
    is_exclusive = serializers.BooleanField()
    is_affordable = serializers.BooleanField()
    stacking = StrictCharField(source="reward.stacking")
    validity_days = serializers.IntegerField(source="reward.validity_days")

    def get_name(self, item) -> str:
        return item.reward.translated("name")

    def get_description(self, item) -> str:
        return item.reward.translated("description")

    def get_minimum_tier(self, item) -> str | None:
        tier = item.reward.minimum_tier
        return tier.translated("name") if tier else None


def masked(code: str) -> str:
    """All but the last 4 characters hidden: `********PT4W`."""
    return "*" * (len(code) - 4) + code[-4:]


class IssuedCodeOutput(serializers.Serializer):
    code = StrictCharField(
        help_text="The code in full with the key scope `codes:read`; otherwise masked: "
        "`********PT4W` (the last 4 characters)."
    )
    display_code = StrictCharField(
        help_text="Grouped for reading (`7KQ2-HX9M-PT4W`); masked like `code` (`****-****-PT4W`)."
    )
    is_masked = serializers.SerializerMethodField()
    reward_id = serializers.IntegerField()
    reward = serializers.SerializerMethodField()
    kind = StrictCharField(source="reward.kind")
    value = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = serializers.SerializerMethodField()
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()

    def get_reward(self, issued) -> str:
        return issued.reward.translated("name")

    def get_status(self, issued) -> str:
        return issued.effective_status()

    def get_is_masked(self, issued) -> bool:
        return bool(self.context.get("mask_codes"))

    def to_representation(self, issued):
        data = super().to_representation(issued)
        if self.context.get("mask_codes"):
            hidden = masked(data["code"])
            data["code"] = hidden
            data["display_code"] = "-".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))
        return data


class MemberRewardsOutput(serializers.Serializer):
    points_balance = serializers.IntegerField()
    catalogue = RewardOutput(many=True)
    codes = IssuedCodeOutput(many=True)
    store_credit = serializers.DecimalField(max_digits=12, decimal_places=2)


class RedemptionInput(serializers.Serializer):
    reward_id = serializers.IntegerField(min_value=1)


class RedemptionOutput(OutputSerializer):
    reward_id = serializers.IntegerField()
    reward = StrictCharField()
    kind = StrictCharField()
    code = StrictCharField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    points_spent = serializers.IntegerField()
    points_balance = serializers.IntegerField()
    # A store credit reward: what it added, and the balance after.
    store_credit_added = money_out(required=False)
    store_credit_balance = money_out(required=False)


class CheckoutInput(serializers.Serializer):
    card_number = CardNumberField()
    amount = money_field()
    currency = StrictCharField(max_length=3, min_length=3, required=False)
    lines = LineInput(many=True, required=False, max_length=1000)
    codes = serializers.ListField(
        child=StrictCharField(max_length=32), required=False, max_length=10
    )
    store_credit = money_field(required=False, min_value=Decimal("0"))
    store_credit_mode = store_credit_mode_field()


class CheckoutOutput(OutputSerializer):
    amount = money_out()
    codes = CodeVerdictOutput(many=True)
    discount_total = money_out()
    store_credit = StoreCreditVerdictOutput()
    amount_payable = money_out()
