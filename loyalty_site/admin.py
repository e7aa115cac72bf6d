"""The member page in admin: it brings together what every app knows about a member, and the
staff actions on a member (each needs its permission and a reason, and is audited)."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from accounts.errors import ApplicationError
from accounts.models import Member
from accounts.normalise import normalise_phone
from accounts.services import member_enrol, member_update_contact
from points.models import TierChange
from points.selectors import entry_description, ledger_entries_for
from points.services import points_adjust
from rewards.models import StoreCreditEntry
from rewards.selectors import codes_for, store_credit_balance
from rewards.services import reward_grant, store_credit_adjust

from .forms import (
    MemberAdminForm,
    PointsAdjustmentForm,
    RewardGrantForm,
    StoreCreditAdjustmentForm,
)

ROWS_SHOWN = 100

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
        (None, {"fields": ["card_number", "status", "points_balance", "tier", "store_credit"]}),
        (
            _("Contact"),
            {"fields": ["first_name", "last_name", "email", "phone", "birth_date", "language"]},
        ),
        (_("Consent"), {"fields": ["email_consent_at", "sms_consent_at", "whatsapp_consent_at"]}),
        (_("Enrolment"), {"fields": ["enrolled_at", "enrolled_store"]}),
        (_("Points"), {"fields": ["ledger"]}),
        (_("Tier history"), {"fields": ["tier_history"]}),
        (_("Codes"), {"fields": ["codes"]}),
        (_("Store credit"), {"fields": ["store_credit_history"]}),
    ]
    readonly_fields = [
        "card_number",
        "status",
        "points_balance",
        "tier",
        "store_credit",
        "email_consent_at",
        "sms_consent_at",
        "whatsapp_consent_at",
        "enrolled_at",
        "ledger",
        "tier_history",
        "codes",
        "store_credit_history",
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

    @admin.display(description=_("points"))
    def points_balance(self, member) -> int:
        account = getattr(member, "point_account", None)
        return account.balance if account else 0

    @admin.display(description=_("tier"))
    def tier(self, member) -> str:
        account = getattr(member, "point_account", None)
        return str(account.tier) if account and account.tier else "–"

    @admin.display(description=_("store credit"))
    def store_credit(self, member) -> str:
        return f"€ {store_credit_balance(member=member):.2f}"

    @admin.display(description=_("points ledger"))
    def ledger(self, member) -> str:
        entries = list(ledger_entries_for(member=member)[:ROWS_SHOWN])
        return render_to_string(
            "admin/accounts/member/ledger.html",
            {
                "entries": [(entry, entry_description(entry)) for entry in entries],
                "shown": ROWS_SHOWN,
                "all_url": reverse("admin:points_pointsentry_changelist")
                + f"?q={member.card_number}",
            },
        )

    @admin.display(description=_("tier history"))
    def tier_history(self, member) -> str:
        changes = TierChange.objects.filter(account__member=member).select_related(
            "from_tier", "to_tier"
        )[:ROWS_SHOWN]
        return render_to_string("admin/accounts/member/tier_history.html", {"changes": changes})

    @admin.display(description=_("codes"))
    def codes(self, member) -> str:
        return render_to_string(
            "admin/accounts/member/codes.html", {"codes": codes_for(member=member)[:ROWS_SHOWN]}
        )

    @admin.display(description=_("store credit history"))
    def store_credit_history(self, member) -> str:
        entries = StoreCreditEntry.objects.filter(account__member=member).order_by("-id")[
            :ROWS_SHOWN
        ]
        return render_to_string("admin/accounts/member/credit.html", {"entries": entries})

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

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "member_actions": [
                action for action in MEMBER_ACTIONS if request.user.has_perm(action.permission)
            ],
        }
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
        if action is None:
            raise PermissionDenied
        if not request.user.has_perm(action.permission):
            raise PermissionDenied
        member = get_object_or_404(Member, pk=member_id)
        form = action.form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                action.run(member, form.cleaned_data, request.user)
            except ApplicationError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, str(error.message))
            else:
                self.message_user(request, action.done_message, messages.SUCCESS)
                return redirect(reverse("admin:accounts_member_change", args=[member.pk]))
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
