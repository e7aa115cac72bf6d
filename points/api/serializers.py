import re
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ConsentChannel, Store
from core.api import (
    OutputSerializer,
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    money_field,
    money_out,
)
from core.api_schema import CARD_NUMBER_DESCRIPTION, CARD_NUMBER_PATTERN

from .. import extensions
from ..earning import BasketLine
from ..selectors import entry_description, pending_points_text


@extend_schema_field(
    {
        "type": "string",
        "pattern": CARD_NUMBER_PATTERN,
        "example": "52810473961",
        "description": CARD_NUMBER_DESCRIPTION,
    }
)
class CardNumberField(StrictCharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=32, **kwargs)


class ConsentsInput(serializers.Serializer):
    email = StrictBooleanField(required=False, default=False)
    sms = StrictBooleanField(required=False, default=False)
    whatsapp = StrictBooleanField(required=False, default=False)


class MemberEnrolInput(serializers.Serializer):
    email = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=254)
    phone = StrictCharField(required=False, allow_null=True, allow_blank=True, max_length=32)
    first_name = StrictCharField(required=False, allow_blank=True, max_length=100, default="")
    last_name = StrictCharField(required=False, allow_blank=True, max_length=100, default="")
    birth_date = serializers.DateField(required=False, allow_null=True)
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], required=False, default="nl"
    )
    consents = ConsentsInput(required=False)
    referral_code = StrictCharField(required=False, allow_blank=True, max_length=32)

    def consent_map(self, data: dict) -> dict[str, bool]:
        consents = data.get("consents") or {}
        return {channel: bool(consents.get(channel)) for channel in ConsentChannel.values}


class ExpiringSerializer(serializers.Serializer):
    points = serializers.IntegerField()
    by = serializers.DateTimeField()


class TierOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()
    colour = StrictCharField()
    threshold = serializers.IntegerField()
    earn_multiplier = serializers.DecimalField(max_digits=4, decimal_places=2)

    def get_name(self, tier) -> str:
        return tier.translated("name")


class StampCardOutput(serializers.Serializer):
    name = StrictCharField(help_text="The stamp card (the automation's name).")
    category = StrictCharField(help_text='Product category counted; "" = every purchase.')
    collected = serializers.IntegerField(help_text="Stamps towards the next reward.")
    needed = serializers.IntegerField(help_text="Stamps the card needs for its reward.")


class PendingPointsOutput(serializers.Serializer):
    points = serializers.IntegerField()
    release_at = serializers.DateTimeField()
    transaction_id = StrictCharField(allow_null=True)


class MemberSummaryOutput(serializers.Serializer):
    card_number = StrictCharField(source="member.card_number")
    first_name = StrictCharField(source="member.first_name")
    last_name = StrictCharField(source="member.last_name")
    language = StrictCharField(source="member.language")
    status = StrictCharField(source="member.status")
    enrolled_at = serializers.DateTimeField(source="member.enrolled_at")
    points_balance = serializers.IntegerField(help_text="Spendable points.")
    points_pending = PendingPointsOutput(
        many=True,
        help_text="Points earned inside a return window, per purchase: shown, not spendable "
        "(nor in points_balance) until release_at; a timely refund cancels them.",
    )
    points_pending_total = serializers.IntegerField()
    points_pending_text = serializers.SerializerMethodField(
        help_text="The pending points in a sentence in the member's language (nl/en), for the "
        "till to show or print; empty when there are none."
    )
    points_expiring_soon = serializers.SerializerMethodField()
    tier = TierOutput(source="tier.tier", allow_null=True)
    next_tier = TierOutput(source="tier.next_tier", allow_null=True)
    qualifying_points = serializers.IntegerField()
    tier_basis = serializers.ChoiceField(
        choices=["points", "spend"],
        source="tier_basis_name",
        help_text="What tiers are reached with: qualifying points or spend in the tier window.",
    )
    points_to_next_tier = serializers.SerializerMethodField(
        help_text="Qualifying points still needed (null at the top, or when tiers go by spend)."
    )
    qualifying_spend = money_out(
        source="tier_spend", allow_null=True, help_text="Whole euros spent (tiers by spend)."
    )
    spend_to_next_tier = money_out(
        source="tier_spend_to_next",
        allow_null=True,
        help_text="Euros still to spend for the next tier (null at the top, or by points).",
    )
    tier_valid_until = serializers.DateTimeField(source="tier.valid_until", allow_null=True)
    loyalty_score = serializers.IntegerField(
        help_text="The loyalty score: activities valued by the programme's norms over the score "
        "window. Never spent; redeeming points does not change it."
    )
    stamp_cards = StampCardOutput(many=True)

    def get_points_to_next_tier(self, summary) -> int | None:
        return None if summary.tier.by_spend else summary.tier.points_to_next_tier

    def get_points_pending_text(self, summary) -> str:
        with translation.override(summary.member.language or "nl"):
            return pending_points_text(summary.points_pending)

    def get_points_expiring_soon(self, summary) -> dict:
        return {
            "points": summary.points_expiring_soon,
            "by": serializers.DateTimeField().to_representation(summary.points_expiring_by),
        }


# Field instances the hand-built summary renders with, made once (see `member_summary_out`).
_DATETIME = serializers.DateTimeField()
_MULTIPLIER = serializers.DecimalField(max_digits=4, decimal_places=2)
_MONEY = money_out()


def _datetime_out(value) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def _tier_out(tier) -> dict | None:
    if tier is None:
        return None
    return {
        "id": tier.pk,
        "name": tier.translated("name"),
        "colour": str(tier.colour),
        "threshold": int(tier.threshold),
        "earn_multiplier": _MULTIPLIER.to_representation(tier.earn_multiplier),
    }


def member_summary_out(summary) -> dict:
    """`MemberSummaryOutput(summary).data`, built by hand: the serializer's field machinery
    (a deep copy of every field per request) was a sixth of a summary's CPU. The serializer
    stays the schema's source; tests/points/test_member_summary_fast.py checks that the two
    are equal on generated members, so a field added there fails it until it is added here."""
    member = summary.member
    progress = summary.tier
    with translation.override(member.language or "nl"):
        pending_text = pending_points_text(summary.points_pending)
    spend, spend_to_next = summary.tier_spend, summary.tier_spend_to_next
    return {
        "card_number": str(member.card_number),
        "first_name": str(member.first_name),
        "last_name": str(member.last_name),
        "language": str(member.language),
        "status": str(member.status),
        "enrolled_at": _datetime_out(member.enrolled_at),
        "points_balance": int(summary.points_balance),
        "points_pending": [
            {
                "points": int(item.points),
                "release_at": _datetime_out(item.release_at),
                "transaction_id": None if item.transaction_id is None else str(item.transaction_id),
            }
            for item in summary.points_pending
        ],
        "points_pending_total": int(summary.points_pending_total),
        "points_pending_text": pending_text,
        "points_expiring_soon": {
            "points": summary.points_expiring_soon,
            "by": _datetime_out(summary.points_expiring_by),
        },
        "tier": _tier_out(progress.tier),
        "next_tier": _tier_out(progress.next_tier),
        "qualifying_points": int(summary.qualifying_points),
        "tier_basis": summary.tier_basis_name,
        "points_to_next_tier": None if progress.by_spend else progress.points_to_next_tier,
        "qualifying_spend": None if spend is None else _MONEY.to_representation(spend),
        "spend_to_next_tier": (
            None if spend_to_next is None else _MONEY.to_representation(spend_to_next)
        ),
        "tier_valid_until": _datetime_out(progress.valid_until),
        "loyalty_score": int(summary.loyalty_score),
        "stamp_cards": [
            {
                "name": str(card.name),
                "category": str(card.category),
                "collected": int(card.collected),
                "needed": int(card.needed),
            }
            for card in summary.stamp_cards
        ],
    }


class LedgerEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = StrictCharField()
    points = serializers.IntegerField()
    pending_points = serializers.IntegerField(
        help_text="Change of the pending points: + earned inside a return window, - released "
        "(then `points` is +) or cancelled by a refund."
    )
    pending_until = serializers.DateTimeField(allow_null=True)
    balance_after = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    effective_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    transaction_id = StrictCharField(
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
    sku = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
    category = StrictCharField(max_length=64, required=False, allow_blank=True, default="")
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


def store_credit_mode_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=extensions.STORE_CREDIT_MODES,
        required=False,
        default=extensions.STORE_CREDIT_EXACT,
        help_text="What to do when the member has less store credit than `store_credit`: "
        "`exact` (default) uses none and refuses the purchase "
        "(`422 insufficient_store_credit`); `available` uses what the member has, up to "
        "`store_credit` (nothing when there is none), and the purchase goes ahead. "
        "`store_credit.used` and `store_credit_used` in the answer say what was used.",
    )


class PurchaseInput(serializers.Serializer):
    transaction_id = StrictCharField(max_length=64)
    card_number = CardNumberField()
    amount = money_field()
    currency = StrictCharField(max_length=3, min_length=3)
    occurred_at = serializers.DateTimeField(required=False)
    channel = serializers.ChoiceField(choices=Store.Channel.choices, required=False)
    lines = LineInput(many=True, required=False, max_length=1000)
    codes = serializers.ListField(
        child=StrictCharField(max_length=32), required=False, max_length=10
    )
    store_credit = money_field(required=False)
    store_credit_mode = store_credit_mode_field()


class QuoteInput(PurchaseInput):
    transaction_id = StrictCharField(max_length=64, required=False)


class ExplanationLineOutput(OutputSerializer):
    source = StrictCharField()
    source_id = serializers.IntegerField(allow_null=True)
    label = StrictCharField()
    points = serializers.IntegerField()


class CodeVerdictOutput(OutputSerializer):
    code = StrictCharField()
    status = serializers.ChoiceField(choices=["applied", "rejected"])
    discount = money_out()
    reason = StrictCharField(allow_null=True)
    reward = StrictCharField(required=False)
    message = StrictCharField(required=False)
    conflicts_with = StrictCharField(required=False)


class StoreCreditVerdictOutput(OutputSerializer):
    requested = money_out()
    available = money_out()
    used = money_out(
        help_text="What was actually used: with `store_credit_mode` `available`, "
        "at most what the member had."
    )
    reason = StrictCharField(allow_null=True)
    message = StrictCharField(required=False)
    mode = serializers.ChoiceField(
        choices=extensions.STORE_CREDIT_MODES, help_text="The `store_credit_mode` applied."
    )


class PurchaseOutput(OutputSerializer):
    transaction_id = StrictCharField()
    card_number = StrictCharField()
    store = StrictCharField()
    amount = money_out()
    currency = StrictCharField()
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
    points_pending = serializers.IntegerField(
        help_text="Of points_earned, the points that are pending: inside the return window of "
        "the store's channel, not in points_balance and not spendable until pending_until."
    )
    pending_until = serializers.DateTimeField(
        allow_null=True, help_text="When the pending points become spendable; null: at once."
    )


class QuoteOutput(OutputSerializer):
    card_number = StrictCharField()
    amount = money_out()
    currency = StrictCharField()
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
    refund_id = StrictCharField(
        max_length=64, help_text="The refunding store's own id: unique per store and purchase."
    )
    store_code = StrictCharField(
        max_length=32,
        required=False,
        help_text="The code of the store that recorded the purchase, when another store of the "
        "chain refunds it (bought online, returned in a shop). Default: the key's store.",
    )
    amount = money_field(min_value=Decimal("0.01"))
    lines = LineInput(many=True, required=False, max_length=1000)


class RefundOutput(OutputSerializer):
    transaction_id = StrictCharField()
    refund_id = StrictCharField()
    amount = money_out()
    points_reversed = serializers.IntegerField()
    points_balance = serializers.IntegerField()
    refunded_total = money_out()
    # When the purchase used store credit or codes: what the refund gave back.
    codes_restored = serializers.ListField(child=StrictCharField(), required=False)
    store_credit_returned = money_out(required=False)


class ActivityInput(serializers.Serializer):
    card_number = CardNumberField()
    activity_type = StrictCharField(max_length=50)
    reference = StrictCharField(max_length=100)
    occurred_at = serializers.DateTimeField(required=False)


class ActivityOutput(OutputSerializer):
    card_number = StrictCharField()
    activity_type = StrictCharField()
    reference = StrictCharField()
    points_earned = serializers.IntegerField()
    points_balance = serializers.IntegerField()


# --- The purchase body without the serializer machinery, for the till's everyday request ------
# PurchaseInput (above) is the contract: the schema is generated from it, and every body it would
# reject, or that uses a rarer field (occurred_at, channel, codes, store credit), goes through it
# and gets its errors. purchase_input_fast() accepts only bodies it can check completely by hand
# and returns exactly what PurchaseInput's validated_data would hold (tests/points/
# test_purchase_input_fast.py compares the two on generated bodies); for anything else it
# returns None. It skips about a third of a purchase's Python time in DRF's field machinery.

_FAST_KEYS = frozenset({"transaction_id", "card_number", "amount", "currency", "lines"})
_LINE_KEYS = frozenset({"sku", "category", "quantity", "amount"})
_MONEY_TEXT = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?", re.ASCII)
_QUANTITY_TEXT = re.compile(r"[0-9]{1,7}(\.[0-9]{1,3})?", re.ASCII)
_CENT = Decimal("0.01")
_THOUSANDTH = Decimal("0.001")


def _plain_text(value, *, max_length: int, min_length: int = 1) -> bool:
    """Text DRF's CharField would keep as is: no surrounding spaces to trim, printable ASCII."""
    return (
        type(value) is str
        and min_length <= len(value) <= max_length
        and value.isascii()
        and value.isprintable()
        and value == value.strip()
    )


def _decimal(value, pattern: re.Pattern, step: Decimal) -> Decimal | None:
    if type(value) not in (str, int, Decimal):
        return None
    text = str(value)
    return Decimal(text).quantize(step) if pattern.fullmatch(text) else None


def purchase_input_fast(data, *, quote: bool = False) -> dict | None:
    """PurchaseInput's (QuoteInput's when `quote`) validated data for an everyday purchase body,
    or None: then the serializer decides."""
    if type(data) is not dict or not data.keys() <= _FAST_KEYS:
        return None
    transaction_id = data.get("transaction_id")
    card, currency = data.get("card_number"), data.get("currency")
    if not (
        ((quote and "transaction_id" not in data) or _plain_text(transaction_id, max_length=64))
        and _plain_text(card, max_length=32)
        and _plain_text(currency, min_length=3, max_length=3)
    ):
        return None
    amount = _decimal(data.get("amount"), _MONEY_TEXT, _CENT)
    if amount is None:
        return None
    result = {
        "card_number": card,
        "amount": amount,
        "currency": currency,
        "store_credit_mode": extensions.STORE_CREDIT_EXACT,  # the serializer's default
    }
    if "transaction_id" in data:
        result["transaction_id"] = transaction_id
    if "lines" in data:
        lines = data["lines"]
        if type(lines) is not list or len(lines) > 1000:
            return None
        parsed = []
        for line in lines:
            if type(line) is not dict or not line.keys() <= _LINE_KEYS:
                return None
            sku, category = line.get("sku", ""), line.get("category", "")
            if not (
                _plain_text(sku, min_length=0, max_length=64)
                and _plain_text(category, min_length=0, max_length=64)
            ):
                return None
            amount = _decimal(line.get("amount"), _MONEY_TEXT, _CENT)
            if "quantity" in line:
                quantity = _decimal(line["quantity"], _QUANTITY_TEXT, _THOUSANDTH)
            else:
                quantity = Decimal("1")
            if amount is None or quantity is None:
                return None
            parsed.append(
                {"sku": sku, "category": category, "quantity": quantity, "amount": amount}
            )
        result["lines"] = parsed
    return result
