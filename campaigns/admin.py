from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin, RuleKindAdminMixin
from core.csv_export import csv_response
from core.errors import ApplicationError
from core.replica import reporting_db

from . import selectors, services
from .admin_budgets import bonus_forecast_display, budget_spent_display
from .models import (
    AutomationRun,
    BonusCampaign,
    Delivery,
    OutboundMessage,
    SatisfactionInvitation,
    SatisfactionResponse,
    Segment,
    SurveyResponse,
)


class ResendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "updated_at"]
    search_fields = ["name"]
    filter_horizontal = ["tiers", "stores"]
    readonly_fields = ["current_size"]
    actions = ["export_csv"]
    fieldsets = [
        (None, {"fields": ["name", "description", "current_size"]}),
        (
            _("Loyalty score and engagement"),
            {
                "fields": [
                    ("min_score", "max_score"),
                    "ladder_stage",
                    "nps_category",
                ],
                "description": _(
                    "The loyalty score adds up what a member did (purchases, offers used, "
                    "surveys, reviews, portal visits) by the score norms; it is never spent."
                ),
            },
        ),
        (
            _("Points and tier"),
            {
                "fields": [
                    "min_points_balance",
                    "max_points_balance",
                    "min_lifetime_points",
                    "min_qualifying_points",
                    "tiers",
                ]
            },
        ),
        (
            _("Purchases"),
            {
                "fields": [
                    "min_days_since_last_purchase",
                    "max_days_since_last_purchase",
                    "period_days",
                    "min_purchases",
                    "max_purchases",
                    "min_spend",
                    "max_spend",
                    "stores",
                    "channel",
                ]
            },
        ),
        (
            _("RFM scores (1–5, 5 = best)"),
            {
                "fields": [
                    ("min_recency_score", "max_recency_score"),
                    ("min_frequency_score", "max_frequency_score"),
                    ("min_monetary_score", "max_monetary_score"),
                ],
                "description": _(
                    "Recency: how recently, frequency: how often, monetary: how much a member "
                    "bought, each in fifths of all buying members. Recomputed every night."
                ),
            },
        ),
        (_("Consent"), {"fields": ["consent_channel"]}),
        (
            _("Attitude and behaviour"),
            {
                "fields": ["attitude", "behaviour"],
                "description": _(
                    "Satisfaction is not loyalty: pick 'satisfied' and 'not loyal' to reach "
                    "satisfied members who do not come back, or 'dissatisfied' and 'loyal' for "
                    "loyal members who are unhappy."
                ),
            },
        ),
    ]

    @admin.display(description=_("members now"))
    def current_size(self, segment) -> str:
        if segment.pk is None:
            return "–"
        members = selectors.segment_members(segment).using(reporting_db())
        return f"{members.count():,}".replace(",", ".")

    def has_export_csv_permission(self, request) -> bool:
        return request.user.has_perm("campaigns.export_segment")

    @admin.action(description=_("Export members to CSV"), permissions=["export_csv"])
    def export_csv(self, request, queryset):
        segments = list(queryset)
        in_english = (translation.get_language() or "").startswith("en")
        header = [
            _("Segment"),
            _("Card number"),
            _("First name"),
            _("Last name"),
            _("E-mail"),
            _("Phone"),
            _("Language"),
            _("Points"),
            _("Tier"),
            _("Last purchase"),
        ]

        database = reporting_db()  # chosen now: the rows are read after the view returns

        def rows():
            for segment in segments:
                members = (
                    selectors.segment_members(segment)
                    .using(database)
                    .order_by("pk")
                    .values_list(
                        "card_number",
                        "first_name",
                        "last_name",
                        "email",
                        "phone",
                        "language",
                        "point_account__balance",
                        "point_account__tier__name_nl",
                        "point_account__tier__name_en",
                        "stats__last_purchase_at",
                    )
                )
                for *contact, balance, tier_nl, tier_en, last_purchase_at in members.iterator(
                    chunk_size=2000
                ):
                    tier = tier_en if in_english and tier_en else tier_nl
                    yield [segment.name, *contact, balance, tier, last_purchase_at]

        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return csv_response(filename=f"segment-{stamp}.csv", header=header, rows=rows())


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "automation",
        "member",
        "status",
        "skip_reason",
        "channel",
        "attempts",
        "converted_at",
        "unwound",
    ]
    # "After the refund: already used" lists what a refunded purchase earned and the member
    # used before the refund: for staff to review (#18).
    list_filter = ["status", "skip_reason", "unwound", "channel", "automation"]
    search_fields = ["=member__card_number", "member__email"]
    list_select_related = ["automation", "member"]
    raw_id_fields = ["trigger_purchase"]
    date_hierarchy = "created_at"
    actions = ["resend"]
    show_full_result_count = False

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("campaigns.resend_delivery")

    @admin.action(description=_("Send the message again (with a reason)"), permissions=["resend"])
    def resend(self, request, queryset):
        form = ResendForm(request.POST if "apply" in request.POST else None)
        unsent = queryset.exclude(status=Delivery.Status.SENT).select_related(
            "automation", "member"
        )
        if form.is_valid():
            count = 0
            for delivery in unsent:
                try:
                    services.delivery_resend_by_staff(
                        delivery=delivery, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                except ApplicationError as error:
                    self.message_user(
                        request, f"{delivery.member}: {error.message}", messages.WARNING
                    )
                    continue
                count += 1
            self.message_user(request, _("%(count)s message(s) queued again.") % {"count": count})
            return None
        return TemplateResponse(
            request,
            "admin/campaigns/resend.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Send messages again"),
                "deliveries": unsent,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(AutomationRun)
class AutomationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "automation",
        "audience",
        "created",
        "left_out_by_budget",
        "skipped_lock_held",
        "finished_at",
    ]
    list_filter = ["automation"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["sent_at", "channel", "to", "subject"]
    list_filter = ["channel"]
    search_fields = ["to", "=delivery__member__card_number"]


# Which to use for "double points this weekend": said on both admin pages.
BONUS_CAMPAIGNS_OR_EARNING_RULES = _(
    "Bonus campaigns are promotions: extra points in a date window, for everyone or for some "
    'tiers or a segment, named in the member\'s points explanation ("Double points weekend"). '
    "They pay on top of the earning rules, the same way a rule of that kind would. What always "
    "applies (the base rate, double points on coffee all year) belongs in the earning rules "
    "(Points → Earning rules)."
)


class BonusCampaignForm(forms.ModelForm):
    class Meta:
        model = BonusCampaign
        fields = "__all__"

    def clean_holdout_percent(self) -> int:
        """The holdout is fixed once the campaign has started: its audience was counted by the
        draw of that share, and purchases must keep being placed by the same one."""
        value = self.cleaned_data["holdout_percent"]
        stored = self.instance
        if (
            stored.pk
            and value != self.initial.get("holdout_percent")
            and stored.starts_at <= timezone.now()
        ):
            raise forms.ValidationError(
                _(
                    "The holdout cannot change once the campaign has started: the groups of "
                    "the uplift report would no longer be the ones drawn at the start."
                )
            )
        return value


@admin.register(BonusCampaign)
class BonusCampaignAdmin(RuleKindAdminMixin, admin.ModelAdmin):
    form = BonusCampaignForm
    guidance = BONUS_CAMPAIGNS_OR_EARNING_RULES
    list_display = [
        "__str__",
        "kind",
        "multiplier",
        "bonus_points",
        "starts_at",
        "ends_at",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    filter_horizontal = ["stores", "tiers"]
    fieldsets = [
        (
            None,
            {
                "fields": ["name_nl", "name_en", "is_active"],
                "description": BONUS_CAMPAIGNS_OR_EARNING_RULES,
            },
        ),
        (_("Points"), {"fields": ["kind", "multiplier", "bonus_points", "minimum_spend"]}),
        (_("When"), {"fields": ["starts_at", "ends_at"]}),
        (
            _("For whom and what"),
            {
                "fields": ["stores", "channel", "categories", "skus", "tiers", "segment"],
                "description": _("Leave empty to cover every store, channel, product and member."),
            },
        ),
        (
            _("Holdout (measuring the uplift)"),
            {
                "fields": ["holdout_percent", "holdout_groups"],
                "description": _(
                    "Members held out get no points from this campaign; the uplift report on "
                    "the KPI dashboard compares their purchases in the campaign's period with "
                    "those of the other members it is for."
                ),
            },
        ),
        (
            _("Budget"),
            {
                "fields": ["budget_per_day", "budget_total", "budget_spent", "forecast"],
                "description": _(
                    "The bonus points this campaign adds, at their value in the programme "
                    "settings. When a budget is spent, purchases earn no campaign points until "
                    "the next day (budget per day) or at all (budget in total)."
                ),
            },
        ),
    ]
    readonly_fields = ["budget_spent", "forecast", "holdout_groups"]

    @admin.display(description=_("spent (€)"))
    def budget_spent(self, campaign) -> str:
        return budget_spent_display(campaign)

    @admin.display(description=_("forecast cost (€)"))
    def forecast(self, campaign) -> str:
        return bonus_forecast_display(campaign)

    @admin.display(description=_("groups"))
    def holdout_groups(self, campaign) -> str:
        """The audience as counted at the start, or why there is none yet."""
        if campaign is None or not campaign.pk or not campaign.holdout_percent:
            return "—"
        audience = selectors.bonus_audience_counted(campaign.pk)
        if audience is None:
            return _("Not counted yet: within 10 minutes of the start.")
        return _(
            "%(treated)s members treated, %(held_out)s held out (counted %(counted_at)s). "
            "The uplift is in the KPI dashboard."
        ) % {
            "treated": number_format(audience.treated_members, force_grouping=True),
            "held_out": number_format(audience.held_out_members, force_grouping=True),
            "counted_at": date_format(
                timezone.localtime(audience.taken_at), "SHORT_DATETIME_FORMAT"
            ),
        }


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "member",
        "recommend_score",
        "repurchase_score",
        "try_new_score",
        "comment",
    ]
    list_filter = ["recommend_score"]
    search_fields = ["=member__card_number", "comment"]
    list_select_related = ["member"]
    date_hierarchy = "created_at"


@admin.register(SatisfactionResponse)
class SatisfactionResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "member", "purchase", "score", "channel", "comment"]
    list_filter = ["score", "channel"]
    search_fields = ["=member__card_number", "comment"]
    list_select_related = ["member", "purchase"]
    date_hierarchy = "created_at"


@admin.register(SatisfactionInvitation)
class SatisfactionInvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "member", "purchase", "channel", "status", "sent_at"]
    list_filter = ["status", "channel"]
    search_fields = ["=member__card_number"]
    list_select_related = ["member", "purchase"]
    date_hierarchy = "created_at"


# The automation's page registers itself there (imported for that).
from . import admin_automations  # noqa: E402, F401
