"""The member page in admin: it brings together what every app knows about a member."""

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
from points.selectors import entry_description, ledger_entries_for
from points.services import points_adjust

from .forms import PointsAdjustmentForm

LEDGER_ROWS_SHOWN = 100


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = [
        "card_number",
        "full_name",
        "email",
        "phone",
        "status",
        "points_balance",
        "enrolled_at",
    ]
    list_filter = ["status", "language", "enrolled_store"]
    search_fields = ["=card_number", "^email", "=phone", "first_name", "last_name"]
    list_select_related = ["point_account"]
    show_full_result_count = False
    date_hierarchy = "enrolled_at"
    fieldsets = [
        (None, {"fields": ["card_number", "status", "points_balance"]}),
        (
            _("Contact"),
            {"fields": ["first_name", "last_name", "email", "phone", "birth_date", "language"]},
        ),
        (_("Consent"), {"fields": ["email_consent_at", "sms_consent_at", "whatsapp_consent_at"]}),
        (_("Enrolment"), {"fields": ["enrolled_at", "enrolled_store"]}),
        (_("Points"), {"fields": ["ledger"]}),
    ]
    readonly_fields = [
        "card_number",
        "status",
        "points_balance",
        "email_consent_at",
        "sms_consent_at",
        "whatsapp_consent_at",
        "enrolled_at",
        "ledger",
    ]
    change_form_template = "admin/accounts/member/change_form.html"

    @admin.display(description=_("points"))
    def points_balance(self, member) -> int:
        account = getattr(member, "point_account", None)
        return account.balance if account else 0

    def get_search_results(self, request, queryset, search_term):
        # Staff type phone numbers as 06…; members are stored in E.164 (+316…).
        try:
            phone = normalise_phone(search_term)
        except ApplicationError:
            phone = None
        if phone and phone != search_term:
            return queryset.filter(phone=phone), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("points ledger"))
    def ledger(self, member) -> str:
        entries = list(ledger_entries_for(member=member)[:LEDGER_ROWS_SHOWN])
        return render_to_string(
            "admin/accounts/member/ledger.html",
            {
                "entries": [(entry, entry_description(entry)) for entry in entries],
                "shown": LEDGER_ROWS_SHOWN,
                "all_url": reverse("admin:points_pointsentry_changelist")
                + f"?q={member.card_number}",
            },
        )

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        try:
            if change:
                member_update_contact(
                    member=obj,
                    email=data.get("email"),
                    phone=data.get("phone"),
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    birth_date=data.get("birth_date"),
                    language=data.get("language", "nl"),
                )
            else:
                created = member_enrol(
                    email=data.get("email"),
                    phone=data.get("phone"),
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    birth_date=data.get("birth_date"),
                    language=data.get("language", "nl"),
                    store=data.get("enrolled_store"),
                    source="staff",
                )
                obj.pk, obj.card_number = created.pk, created.card_number
                obj._state.adding = False
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
            raise

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, str(error.message), messages.ERROR)
            return redirect(request.get_full_path())

    def get_urls(self):
        return [
            path(
                "<int:member_id>/adjust-points/",
                self.admin_site.admin_view(self.adjust_points_view),
                name="accounts_member_adjust_points",
            ),
            *super().get_urls(),
        ]

    def adjust_points_view(self, request, member_id: int):
        if not request.user.has_perm("points.adjust_points"):
            raise PermissionDenied
        member = get_object_or_404(Member, pk=member_id)
        form = PointsAdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                points_adjust(
                    member=member,
                    points=form.cleaned_data["points"],
                    reason=form.cleaned_data["reason"],
                    counts_for_tier=form.cleaned_data["counts_for_tier"],
                    actor=request.user,
                )
            except ApplicationError as error:
                form.add_error("points", str(error.message))
            else:
                self.message_user(request, _("Points adjusted."), messages.SUCCESS)
                return redirect(reverse("admin:accounts_member_change", args=[member.pk]))
        return TemplateResponse(
            request,
            "admin/accounts/member/adjust_points.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Adjust points of %(member)s") % {"member": member},
                "member": member,
                "form": form,
                "opts": self.model._meta,
            },
        )
