"""The member page in admin (the 360° view): what every app knows about a member, and the staff
actions on a member. Each action needs its permission and a reason, and is audited by the
service it calls. Every section shows the latest rows only, with a link to all of them, so a
member with years of history opens as fast as a new one; each section is one or two queries."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ConsentChange, Member, StaffAction
from accounts.normalise import normalise_phone
from accounts.services import member_enrol, member_set_status, member_update_contact
from campaigns.kpis import member_ladder_stage
from campaigns.kpis.presentation import STAGE_LABELS
from campaigns.models import Delivery, MemberStats, SurveyResponse
from campaigns.services import delivery_resend_by_staff
from core.errors import ApplicationError
from points.models import Activity, LoyaltyProgram, Purchase, TierChange
from points.selectors import entry_description, ledger_entries_for, points_money_value
from points.services import points_adjust
from rewards.models import StoreCreditEntry
from rewards.selectors import code_status_counts, codes_for, store_credit_balance
from rewards.services import code_revoke, reward_grant, store_credit_adjust

from .forms import (
    CodeRevokeForm,
    DeliveryResendForm,
    MemberAdminForm,
    PointsAdjustmentForm,
    ReasonForm,
    RewardGrantForm,
    StoreCreditAdjustmentForm,
)

ROWS_SHOWN = 100  # ledger lines
SECTION_ROWS = 25  # rows of every other history section

admin.site.site_header = _("Loyalty programme")
admin.site.site_title = _("Loyalty programme")
admin.site.index_title = _("Back office")


@dataclass(frozen=True)
class MemberAction:
    """A staff action on one member: a form, the permission it needs, the service it calls."""

    slug: str
    title: Any
    permission: str
    form_class: type[forms.Form]
    run: Any  # (member, cleaned_data, user) -> None
    done_message: Any
    is_available: Callable[[Member], bool] = lambda member: True


MEMBER_ACTIONS = [
    MemberAction(
        "adjust-points",
        _("Adjust points"),
        "points.adjust_points",
        PointsAdjustmentForm,
        lambda member, data, user: points_adjust(
            member=member,
            points=data["points"],
            reason=data["reason"],
            counts_for_tier=data["counts_for_tier"],
            actor=user,
        ),
        _("Points adjusted."),
    ),
    MemberAction(
        "adjust-store-credit",
        _("Adjust store credit"),
        "rewards.grant_reward",
        StoreCreditAdjustmentForm,
        lambda member, data, user: store_credit_adjust(
            member=member, amount=data["amount"], reason=data["reason"], actor=user
        ),
        _("Store credit adjusted."),
    ),
    MemberAction(
        "grant-reward",
        _("Grant a reward"),
        "rewards.grant_reward",
        RewardGrantForm,
        lambda member, data, user: reward_grant(
            member=member, reward=data["reward"], reason=data["reason"], actor=user
        ),
        _("Reward granted."),
    ),
    MemberAction(
        "revoke-code",
        _("Revoke a code"),
        "rewards.revoke_code",
        CodeRevokeForm,
        lambda member, data, user: code_revoke(
            issued=data["code"], reason=data["reason"], actor=user
        ),
        _("Code revoked."),
    ),
    MemberAction(
        "resend-message",
        _("Send a message again"),
        "campaigns.resend_delivery",
        DeliveryResendForm,
        lambda member, data, user: delivery_resend_by_staff(
            delivery=data["delivery"], reason=data["reason"], actor=user
        ),
        _("The message is queued again."),
    ),
    MemberAction(
        "block",
        _("Block member"),
        "accounts.block_member",
        ReasonForm,
        lambda member, data, user: member_set_status(
            member=member, status=Member.Status.BLOCKED, reason=data["reason"], actor=user
        ),
        _("Member blocked: no earning, redeeming or messages until unblocked."),
        is_available=lambda member: member.status == Member.Status.ACTIVE,
    ),
    MemberAction(
        "unblock",
        _("Unblock member"),
        "accounts.block_member",
        ReasonForm,
        lambda member, data, user: member_set_status(
            member=member, status=Member.Status.ACTIVE, reason=data["reason"], actor=user
        ),
        _("Member unblocked."),
        is_available=lambda member: member.status == Member.Status.BLOCKED,
    ),
]


def actions_for(user, member: Member) -> list[MemberAction]:
    return [
        action
        for action in MEMBER_ACTIONS
        if user.has_perm(action.permission) and action.is_available(member)
    ]


# --- the 360° sections --------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberSection:
    slug: str
    title: Any
    html: str


def _changelist(model_name: str, member: Member) -> str:
    return reverse(f"admin:{model_name}_changelist") + f"?q={member.card_number}"


def _stats_of(member: Member) -> MemberStats | None:
    try:
        return member.stats
    except MemberStats.DoesNotExist:
        return None


def _summary(request, member: Member) -> str:
    stats = _stats_of(member)
    account = getattr(member, "point_account", None)
    program = LoyaltyProgram.current()
    referrals = member.referrals.count()
    purchases = stats.purchase_count if stats else 0
    now = timezone.now()
    days_since = (now - stats.last_purchase_at).days if stats and stats.last_purchase_at else None
    if days_since is None:
        activity = _("Never bought")
    elif days_since < program.dormant_after_days:
        activity = _("Active")
    else:
        activity = _("Dormant")
    balance = account.balance if account else 0
    return render_to_string(
        "admin/accounts/member/summary.html",
        {
            "member": member,
            "account": account,
            "stats": stats,
            "balance": balance,
            "points_value": points_money_value(balance, program=program),
            "store_credit": store_credit_balance(member=member),
            "days_since": days_since,
            "activity": activity,
            "dormant_after_days": program.dormant_after_days,
            "stage": STAGE_LABELS[
                member_ladder_stage(purchases=purchases, has_referred=referrals > 0)
            ],
            "referrals": referrals,
        },
        request=request,
    )


def _ledger(request, member: Member) -> str:
    entries = list(ledger_entries_for(member=member)[:ROWS_SHOWN])
    return render_to_string(
        "admin/accounts/member/ledger.html",
        {
            "entries": [(entry, entry_description(entry)) for entry in entries],
            "shown": ROWS_SHOWN,
            "all_url": _changelist("points_pointsentry", member),
        },
    )


def _tier_history(request, member: Member) -> str:
    changes = TierChange.objects.filter(account__member=member).select_related(
        "from_tier", "to_tier"
    )[:SECTION_ROWS]
    return render_to_string(
        "admin/accounts/member/tier_history.html",
        {"changes": changes, "all_url": _changelist("points_tierchange", member)},
    )


def _codes(request, member: Member) -> str:
    return render_to_string(
        "admin/accounts/member/codes.html",
        {
            "codes": codes_for(member=member)[:SECTION_ROWS],
            "counts": code_status_counts(member=member),
            "member": member,
            "can_revoke": request.user.has_perm("rewards.revoke_code"),
            "all_url": _changelist("rewards_issuedreward", member),
        },
        request=request,
    )


def _credit(request, member: Member) -> str:
    entries = StoreCreditEntry.objects.filter(account__member=member).order_by("-id")[:SECTION_ROWS]
    return render_to_string(
        "admin/accounts/member/credit.html",
        {"entries": entries, "all_url": _changelist("rewards_storecreditentry", member)},
    )


def _purchases(request, member: Member) -> str:
    purchases = (
        Purchase.objects.filter(member=member)
        .select_related("store")
        .prefetch_related("refunds")
        .order_by("-occurred_at", "-pk")[:SECTION_ROWS]
    )
    by_store = (
        Purchase.objects.filter(member=member)
        .values("store__code", "store__name", "channel")
        .annotate(count=Count("pk"), amount=Sum("amount"), refunded=Sum("refunded_amount"))
        .order_by("-count", "store__code")
    )
    return render_to_string(
        "admin/accounts/member/purchases.html",
        {
            "purchases": purchases,
            "by_store": by_store,
            "all_url": _changelist("points_purchase", member),
        },
    )


def _activities(request, member: Member) -> str:
    activities = (
        Activity.objects.filter(member=member)
        .select_related("activity_type", "store")
        .order_by("-occurred_at", "-pk")[:SECTION_ROWS]
    )
    return render_to_string(
        "admin/accounts/member/activities.html",
        {"activities": activities, "all_url": _changelist("points_activity", member)},
    )


def _deliveries(request, member: Member) -> str:
    deliveries = (
        Delivery.objects.filter(member=member)
        .select_related("automation", "issued_reward", "converted_purchase")
        .order_by("-created_at", "-pk")[:SECTION_ROWS]
    )
    return render_to_string(
        "admin/accounts/member/deliveries.html",
        {
            "deliveries": deliveries,
            "member": member,
            "can_resend": request.user.has_perm("campaigns.resend_delivery"),
            "all_url": _changelist("campaigns_delivery", member),
        },
        request=request,
    )


def _surveys(request, member: Member) -> str:
    answers = SurveyResponse.objects.filter(member=member).order_by("-created_at", "-pk")[
        :SECTION_ROWS
    ]
    return render_to_string(
        "admin/accounts/member/surveys.html",
        {"answers": answers, "all_url": _changelist("campaigns_surveyresponse", member)},
    )


def _consent_history(request, member: Member) -> str:
    changes = ConsentChange.objects.filter(member=member)[:SECTION_ROWS]
    return render_to_string(
        "admin/accounts/member/consent_history.html",
        {"changes": changes, "all_url": _changelist("accounts_consentchange", member)},
    )


def _audit_trail(request, member: Member) -> str:
    actions = StaffAction.objects.filter(member=member).select_related("staff_user")[:SECTION_ROWS]
    return render_to_string(
        "admin/accounts/member/staff_actions.html",
        {
            "actions": [
                (action, _compact(action.before), _compact(action.after)) for action in actions
            ],
            "all_url": _changelist("accounts_staffaction", member),
        },
    )


def _compact(values: dict) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True)[1:-1] if values else ""


# (slug, title, renderer, permission needed to see it, or None)
SECTIONS = [
    ("points", _("Points ledger"), _ledger, None),
    ("tiers", _("Tier history"), _tier_history, None),
    ("codes", _("Codes"), _codes, None),
    ("credit", _("Store credit"), _credit, None),
    ("purchases", _("Purchases and refunds"), _purchases, None),
    ("activities", _("Activities"), _activities, None),
    ("deliveries", _("Automations received"), _deliveries, None),
    ("surveys", _("Survey answers"), _surveys, None),
    ("consent", _("Consent history"), _consent_history, None),
    ("audit", _("Staff actions (audit trail)"), _audit_trail, "accounts.view_staffaction"),
]


def member_sections(request, member: Member) -> list[MemberSection]:
    return [
        MemberSection(slug, title, render(request, member))
        for slug, title, render, permission in SECTIONS
        if permission is None or request.user.has_perm(permission)
    ]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    form = MemberAdminForm
    list_display = [
        "card_number",
        "full_name",
        "email",
        "phone",
        "status",
        "points_balance",
        "tier",
        "enrolled_at",
    ]
    list_filter = ["status", "language", "point_account__tier", "enrolled_store"]
    search_fields = ["=card_number", "^email", "=phone", "first_name", "last_name"]
    list_select_related = ["point_account__tier"]
    show_full_result_count = False
    date_hierarchy = "enrolled_at"
    fieldsets = [
        (
            _("Contact"),
            {"fields": ["first_name", "last_name", "email", "phone", "birth_date", "language"]},
        ),
        (_("Consent"), {"fields": ["email_consent_at", "sms_consent_at", "whatsapp_consent_at"]}),
        (_("Enrolment"), {"fields": ["card_number", "status", "enrolled_at", "enrolled_store"]}),
    ]
    readonly_fields = [
        "card_number",
        "status",
        "email_consent_at",
        "sms_consent_at",
        "whatsapp_consent_at",
        "enrolled_at",
    ]
    change_form_template = "admin/accounts/member/change_form.html"

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # a new member: contact details only
            return [
                (
                    None,
                    {
                        "fields": [
                            "first_name",
                            "last_name",
                            "email",
                            "phone",
                            "birth_date",
                            "language",
                            "enrolled_store",
                        ]
                    },
                )
            ]
        return self.fieldsets

    def get_object(self, request, object_id, from_field=None):
        # One query for the member and everything the summary reads of it.
        queryset = self.get_queryset(request).select_related(
            "point_account__tier", "stats", "enrolled_store", "referred_by"
        )
        try:
            return queryset.get(pk=Member._meta.pk.to_python(object_id))
        except (Member.DoesNotExist, ValidationError, ValueError):
            return None

    @admin.display(description=_("points"))
    def points_balance(self, member) -> int:
        account = getattr(member, "point_account", None)
        return account.balance if account else 0

    @admin.display(description=_("tier"))
    def tier(self, member) -> str:
        account = getattr(member, "point_account", None)
        return str(account.tier) if account and account.tier else "–"

    def get_search_results(self, request, queryset, search_term):
        # Staff type phone numbers as 06…; members are stored in E.164 (+316…).
        try:
            phone = normalise_phone(search_term)
        except ApplicationError:
            phone = None
        if phone and phone != search_term:
            return queryset.filter(phone=phone), False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        contact = {
            "email": data.get("email"),
            "phone": data.get("phone"),
            "first_name": data.get("first_name", ""),
            "last_name": data.get("last_name", ""),
            "birth_date": data.get("birth_date"),
            "language": data.get("language", "nl"),
        }
        if change:
            member_update_contact(member=obj, **contact)
            return
        created = member_enrol(**contact, store=data.get("enrolled_store"), source="staff")
        obj.pk, obj.card_number = created.pk, created.card_number
        obj._state.adding = False

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context.update(
                member_actions=actions_for(request.user, obj),
                member_summary=_summary(request, obj),
                member_sections=member_sections(request, obj),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, str(error.message), messages.ERROR)
            return redirect(request.get_full_path())

    def get_urls(self):
        return [
            path(
                "<int:member_id>/action/<slug:slug>/",
                self.admin_site.admin_view(self.member_action_view),
                name="accounts_member_action",
            ),
            *super().get_urls(),
        ]

    def member_action_view(self, request, member_id: int, slug: str):
        action = next((action for action in MEMBER_ACTIONS if action.slug == slug), None)
        if action is None or not request.user.has_perm(action.permission):
            raise PermissionDenied
        member = get_object_or_404(Member, pk=member_id)
        member_url = reverse("admin:accounts_member_change", args=[member.pk])
        if not action.is_available(member):
            self.message_user(request, _("This does not apply to this member now."), messages.ERROR)
            return redirect(member_url)
        # A link from a section row may preselect the code or message (?code=…, ?delivery=…).
        form = action.form_class(request.POST or None, member=member, initial=request.GET.dict())
        if request.method == "POST" and form.is_valid():
            try:
                action.run(member, form.cleaned_data, request.user)
            except ApplicationError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, str(error.message))
            else:
                self.message_user(request, action.done_message, messages.SUCCESS)
                return redirect(member_url)
        return TemplateResponse(
            request,
            "admin/accounts/member/action.html",
            {
                **self.admin_site.each_context(request),
                "title": f"{action.title}: {member}",
                "action": action,
                "member": member,
                "form": form,
                "opts": self.model._meta,
            },
        )
