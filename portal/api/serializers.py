from django.conf import settings
from rest_framework import serializers

from core.api import StrictCharField, money_field, money_out
from points.api.serializers import CardNumberField, LineInput, MemberSummaryOutput
from rewards.api.serializers import IssuedCodeOutput


class MemberTokenInput(serializers.Serializer):
    card_number = CardNumberField(required=False)
    email = StrictCharField(
        required=False,
        max_length=254,
        help_text="An address the shop verified (the member signed in with it).",
    )


class MemberTokenOutput(serializers.Serializer):
    token = StrictCharField(help_text="Send as `Authorization: Bearer <token>`.")
    token_type = serializers.ChoiceField(choices=["Bearer"])
    expires_at = serializers.DateTimeField()
    expires_in = serializers.IntegerField(help_text="Seconds the token lasts.")


class MeOutput(MemberSummaryOutput):
    tier_progress = serializers.IntegerField(
        min_value=0, max_value=100, help_text="Per cent of the way to the next tier (100 at top)."
    )
    store_credit = money_out()


class MeCodeOutput(IssuedCodeOutput):
    id = serializers.IntegerField(source="pk")


class MeQuoteInput(serializers.Serializer):
    """A basket in the shop: what would it earn this member?"""

    amount = money_field()
    currency = StrictCharField(
        max_length=3, min_length=3, required=False, default=settings.LOYALTY_CURRENCY
    )
    lines = LineInput(many=True, required=False, max_length=1000)
