from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin, ReadOnlyInline, RuleKindAdminMixin, SingletonAdmin

from .models import (
    Activity,
    ActivityType,
    EarningRule,
    LoyaltyProgram,
    PointAccount,
    PointsEntry,
    Purchase,
    PurchaseLine,
    Refund,
    Tier,
    TierChange,
)

# Which to use for "double points this weekend": said on both admin pages.
EARNING_RULES_OR_CAMPAIGNS = _(
    "Earning rules are how the programme always earns: the base rate and standing extras "
    "for everyone, such as double points on coffee. For a promotion in a date window or for "
    "some members only (a double-points weekend, extra points for Gold), use a bonus "
    "campaign (Campaigns → Bonus campaigns): it pays on top of these rules, the same way."
)


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "effective_at",
        "created_at",
        "account",
        "kind",
        "points",
        "balance_after",
        "staff_user",
        "reason",
    ]
    list_filter = ["kind", "is_qualifying"]
    search_fields = ["=account__member__card_number"]
    list_select_related = ["account__member", "staff_user"]
    raw_id_fields = ["account", "purchase", "refund", "activity", "corrects"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # counting 10M rows on every page is not worth it


@admin.register(PointAccount)
class PointAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["member", "balance", "tier", "tier_valid_until", "flagged_at", "updated_at"]
    list_filter = [("flagged_at", admin.EmptyFieldListFilter), "tier"]
    search_fields = ["=member__card_number", "member__email"]
    list_select_related = ["member"]
    show_full_result_count = False


class PurchaseLineInline(ReadOnlyInline):
    model = PurchaseLine
    fields = ["sku", "category", "quantity", "amount"]


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = [
        "refund_id",
        "store",
        "amount",
        "points_reversed",
        "store_credit_returned",
        "created_at",
    ]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "occurred_at",
        "store",
        "transaction_id",
        "member",
        "amount",
        "discount_total",
        "points_earned",
        "refunded_amount",
    ]
    list_filter = ["store", "channel"]
    search_fields = ["=transaction_id", "=member__card_number"]
    list_select_related = ["store", "member"]
    raw_id_fields = ["member"]
    date_hierarchy = "occurred_at"
    inlines = [PurchaseLineInline, RefundInline]
    exclude = ["request_hash", "response_body"]
    show_full_result_count = False


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "member", "activity_type", "reference", "points"]
    list_filter = ["activity_type"]
    search_fields = ["=member__card_number", "reference"]
    list_select_related = ["member", "activity_type"]
    exclude = ["request_hash", "response_body"]


@admin.register(EarningRule)
class EarningRuleAdmin(RuleKindAdminMixin, admin.ModelAdmin):
    guidance = EARNING_RULES_OR_CAMPAIGNS
    list_display = ["__str__", "kind", "priority", "valid_from", "valid_until", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name_nl", "name_en"]
    filter_horizontal = ["stores"]
    fieldsets = [
        (
            None,
            {
                "fields": ["name_nl", "name_en", "kind", "is_active", "priority"],
                "description": EARNING_RULES_OR_CAMPAIGNS,
            },
        ),
        (
            _("Points"),
            {"fields": ["points_per_unit", "multiplier", "bonus_points", "minimum_spend"]},
        ),
        (_("When"), {"fields": ["valid_from", "valid_until"]}),
        (
            _("Where and on what"),
            {
                "fields": [
                    "stores",
                    "channel",
                    "categories",
                    "skus",
                    "excluded_categories",
                    "excluded_skus",
                ],
                "description": _(
                    "Leave empty to cover every store, channel and product. Categories and SKUs "
                    "come from the purchase lines the till sends."
                ),
            },
        ),
    ]


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "__str__", "points", "cap", "cap_period", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name_nl", "name_en"]


@admin.register(LoyaltyProgram)
class LoyaltyProgramAdmin(SingletonAdmin):
    readonly_fields = ["branding"]

    @admin.display(description=_("branding"))
    def branding(self, program) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:accounts_branding_changelist"),
            _("Programme name, logo, colour, e-mail sender and support text"),
        )


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["rank", "__str__", "threshold", "earn_multiplier", "colour", "members"]
    ordering = ["rank"]

    @admin.display(description=_("members"))
    def members(self, tier) -> int:
        return tier.accounts.count()

    def has_delete_permission(self, request, obj=None) -> bool:
        # Members hold tiers; removing one would silently drop them a level.
        return obj is None or not obj.accounts.exists()


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "account", "from_tier", "to_tier", "reason", "qualifying_points"]
    list_filter = ["reason", "to_tier"]
    search_fields = ["=account__member__card_number"]
    list_select_related = ["account__member", "from_tier", "to_tier"]
    date_hierarchy = "created_at"
