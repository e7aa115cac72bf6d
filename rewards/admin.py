from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin, ReadOnlyInline, SingletonAdmin
from core.errors import ApplicationError

from .models import (
    CodeUse,
    IssuedReward,
    Reward,
    StackingPolicy,
    StoreCreditAccount,
    StoreCreditEntry,
)
from .services import code_revoke


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "value",
        "points_cost",
        "minimum_tier",
        "stacking",
        "stock",
        "is_active",
    ]
    list_filter = ["kind", "stacking", "is_active", "minimum_tier"]
    search_fields = ["name_nl", "name_en", "sku"]
    fieldsets = [
        (None, {"fields": ["name_nl", "name_en", "description_nl", "description_en", "is_active"]}),
        (
            _("What it gives"),
            {"fields": ["kind", "value", "minimum_spend", "sku", "validity_days"]},
        ),
        (
            _("Who can get it"),
            {
                "fields": [
                    "points_cost",
                    "minimum_tier",
                    "gift_for_tier",
                    "per_member_limit",
                    "stock",
                ]
            },
        ),
        (_("When"), {"fields": ["available_from", "available_until"]}),
        (
            _("Combining with other codes"),
            {
                "fields": ["stacking", "stacking_group"],
                "description": _(
                    "How many codes a customer may use on one purchase is set in "
                    "'Combining rules'. Here you say how this code goes with others."
                ),
            },
        ),
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.issued.exists()  # deactivate rewards that were issued


class CodeUseInline(ReadOnlyInline):
    model = CodeUse
    fields = ["purchase", "discount", "used_at", "restored_at"]


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )


@admin.register(IssuedReward)
class IssuedRewardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "reward", "member", "status", "source", "issued_at", "expires_at"]
    list_filter = ["status", "source", "reward"]
    search_fields = ["=code", "=member__card_number", "member__email"]
    list_select_related = ["reward", "member"]
    raw_id_fields = ["member", "used_in_purchase", "points_entry"]
    date_hierarchy = "issued_at"
    inlines = [CodeUseInline]
    actions = ["revoke"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        from .codes import normalise_code

        normalised = normalise_code(search_term)
        if len(normalised) == 12:
            return queryset.filter(code=normalised), False
        return super().get_search_results(request, queryset, search_term)

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("rewards.revoke_code")

    @admin.action(description=_("Revoke selected codes (with a reason)"), permissions=["revoke"])
    def revoke(self, request, queryset):
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for issued in queryset:
                try:
                    code_revoke(
                        issued=issued, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                    done += 1
                except ApplicationError as error:
                    self.message_user(request, f"{issued}: {error.message}", messages.WARNING)
            self.message_user(
                request, _("%(count)d code(s) revoked.") % {"count": done}, messages.SUCCESS
            )
            return None
        return TemplateResponse(
            request,
            "admin/rewards/revoke.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Revoke codes"),
                "codes": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(StoreCreditAccount)
class StoreCreditAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["member", "balance", "updated_at"]
    search_fields = ["=member__card_number", "member__email"]
    list_select_related = ["member"]


@admin.register(StoreCreditEntry)
class StoreCreditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "account",
        "kind",
        "amount",
        "balance_after",
        "staff_user",
        "reason",
    ]
    list_filter = ["kind"]
    search_fields = ["=account__member__card_number"]
    list_select_related = ["account__member", "staff_user"]
    raw_id_fields = ["account", "purchase", "refund", "issued_reward"]
    date_hierarchy = "created_at"


@admin.register(StackingPolicy)
class StackingPolicyAdmin(SingletonAdmin):
    pass
