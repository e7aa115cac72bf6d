from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin, ReadOnlyInline, RuleKindAdminMixin, SingletonAdmin
from core.csv_export import csv_response
from core.errors import InvalidInput

from .models import (
    Activity,
    ActivityType,
    EarningRule,
    LoyaltyProgram,
    MemberImport,
    PointAccount,
    PointsEntry,
    Purchase,
    PurchaseLine,
    Refund,
    ScoreEntry,
    ScoreNorm,
    Tier,
    TierChange,
)
from .services import import_runs

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


@admin.register(ScoreNorm)
class ScoreNormAdmin(admin.ModelAdmin):
    """The loyalty score's norms: a change counts for activities recorded from then on."""

    list_display = ["__str__", "source", "activity_type", "value", "is_active", "updated_at"]
    list_filter = ["source", "is_active"]
    list_select_related = ["activity_type"]


@admin.register(ScoreEntry)
class ScoreEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["occurred_at", "member", "source", "activity_type", "score", "source_key"]
    list_filter = ["source"]
    list_select_related = ["member", "activity_type"]
    raw_id_fields = ["member", "activity_type"]
    search_fields = ["=member__card_number"]


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


class MemberImportForm(forms.Form):
    members_file = forms.FileField(
        label=_("Members file"),
        help_text=_(
            "CSV (UTF-8, separated by , or ;) or JSON Lines, one member per row, keyed by "
            "external_id. The columns are listed in docs/import.md."
        ),
    )
    purchases_file = forms.FileField(
        label=_("Past purchases (optional)"),
        required=False,
        help_text=_(
            "external_id, store_code, transaction_id, occurred_at, amount: recorded for the "
            "figures, earning no points."
        ),
    )
    mode = forms.ChoiceField(
        label=_("What to do"),
        choices=[
            ("dry_run", _("Dry run: check every row and write nothing")),
            ("import", _("Import the members")),
        ],
        initial="dry_run",
        widget=forms.RadioSelect,
    )
    keep_card_numbers = forms.BooleanField(
        label=_("Keep legacy card numbers"),
        required=False,
        help_text=_(
            "Card numbers that fail our check digit stay usable at the till as a second number "
            "of the member, who also gets a card number of ours. Without this, such rows are "
            "rejected."
        ),
    )


@admin.register(MemberImport)
class MemberImportAdmin(admin.ModelAdmin):
    """Managers upload the member import here; the run happens in the background (outbox) and
    its page shows how far it got, the counts, and the rejected rows to download."""

    list_display = ["created_at", "members_file_name", "created_by", "is_dry_run", "state_label"]
    list_filter = ["state", "is_dry_run"]
    list_select_related = ["created_by"]
    add_form_template = "admin/points/memberimport/upload.html"
    change_form_template = "admin/points/memberimport/result.html"

    # Only staff who may import see imports at all: the rejected rows name members.
    def _may_import(self, request) -> bool:
        return request.user.has_perm("points.import_members")

    def has_view_permission(self, request, obj=None) -> bool:
        return self._may_import(request)

    def has_add_permission(self, request) -> bool:
        return self._may_import(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("state"), ordering="state")
    def state_label(self, record: MemberImport) -> str:
        if record.state == MemberImport.State.RUNNING:
            return f"{record.get_state_display()} ({record.percent_done} %)"
        return record.get_state_display()

    def get_urls(self):
        return [
            path(
                "<int:pk>/errors/<slug:kind>/",
                self.admin_site.admin_view(self.errors_view),
                name="points_memberimport_errors",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = MemberImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                record = import_runs.member_import_start(
                    members_file=form.cleaned_data["members_file"],
                    purchases_file=form.cleaned_data["purchases_file"],
                    is_dry_run=form.cleaned_data["mode"] == "dry_run",
                    keep_card_numbers=form.cleaned_data["keep_card_numbers"],
                    actor=request.user,
                )
            except InvalidInput as error:
                form.add_error(
                    error.field if error.field in form.fields else None, str(error.message)
                )
            else:
                messages.success(
                    request,
                    _("The file is uploaded; the import runs in the background."),
                )
                return redirect("admin:points_memberimport_change", record.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import members"),
            "form": form,
            "has_view_permission": True,
        }
        return TemplateResponse(request, self.add_form_template, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record = get_object_or_404(MemberImport, pk=object_id)
        if not self.has_view_permission(request, record):
            raise PermissionDenied
        is_dry_run = record.is_dry_run
        files = []
        for kind, label in (("members", _("Members")), ("purchases", _("Past purchases"))):
            counts = record.totals.get(kind)
            if counts is None and not (kind == "members" or record.purchases_file_name):
                continue
            counts = counts or {}
            read = int(counts.get("read", 0))
            rows = [
                (
                    _("would be created") if is_dry_run else _("created"),
                    counts.get("created", 0),
                ),
                (
                    _("would be updated") if is_dry_run else _("updated"),
                    counts.get("updated", 0),
                ),
                (_("unchanged"), counts.get("unchanged", 0)),
                (_("rejected"), counts.get("rejected", 0)),
            ]
            files.append(
                {
                    "kind": kind,
                    "label": label,
                    "read": read,
                    "rows": [(name, value, max(read, 1)) for name, value in rows],
                    "opening_points": counts.get("opening_points") if kind == "members" else None,
                    "errors_url": reverse(
                        "admin:points_memberimport_errors", args=[record.pk, kind]
                    )
                    if counts.get("rejected") and not record.files_removed_at
                    else None,
                    "errors_removed": bool(counts.get("rejected") and record.files_removed_at),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": record,
            "title": _("Member import: %(file)s") % {"file": record.members_file_name},
            "record": record,
            "files": files,
            "is_active": record.state in (MemberImport.State.QUEUED, MemberImport.State.RUNNING),
            "has_view_permission": True,
        }
        return TemplateResponse(request, self.change_form_template, context)

    def errors_view(self, request, pk: int, kind: str):
        record = get_object_or_404(MemberImport, pk=pk)
        if not self.has_view_permission(request, record):
            raise PermissionDenied
        rows = import_runs.member_import_errors(record, kind)
        if rows is None:
            raise Http404
        return csv_response(
            filename=f"import-{record.pk}-{kind}-errors.csv",
            header=import_runs.error_columns(),
            rows=rows,
        )
