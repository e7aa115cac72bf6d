"""The member's change page in admin: contact details, the summary, the sections and actions."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Member
from accounts.normalise import normalise_phone
from accounts.selectors import consent_proof_for, member_by_card_alias
from accounts.services import member_enrol, member_update_contact
from campaigns.selectors import members_offered_for_erasure
from core.csv_export import csv_response
from core.errors import ApplicationError

from ..forms import MemberAdminForm
from .actions import MEMBER_ACTIONS, actions_for
from .sections import member_sections, member_summary


class ErasureFilter(admin.SimpleListFilter):
    """Storage limitation: members inactive for the programme's years, offered for erasure
    (each member page then has "Erase personal data"); and those already erased."""

    title = _("privacy")
    parameter_name = "privacy"

    def lookups(self, request, model_admin):
        return [
            ("inactive", _("Inactive long enough to erase")),
            ("erased", _("Erased")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "inactive":
            return queryset.filter(pk__in=members_offered_for_erasure().values("pk"))
        if self.value() == "erased":
            return queryset.filter(erasure__isnull=False)
        return queryset


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
        # A legacy card kept on import or a merged member's card finds its member too.
        aliased = member_by_card_alias(search_term)
        if aliased is not None:
            return queryset.filter(pk=aliased), False
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
                member_summary=member_summary(request, obj),
                member_sections=member_sections(request, obj),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, str(error.message), messages.ERROR)
            return redirect(request.get_full_path())

    def get_list_filter(self, request):
        if request.user.has_perm("accounts.erase_member"):
            return [*self.list_filter, ErasureFilter]
        return self.list_filter

    def get_urls(self):
        return [
            path(
                "<int:member_id>/action/<slug:slug>/",
                self.admin_site.admin_view(self.member_action_view),
                name="accounts_member_action",
            ),
            path(
                "<int:member_id>/consent-history.csv",
                self.admin_site.admin_view(self.consent_csv_view),
                name="accounts_member_consent_csv",
            ),
            *super().get_urls(),
        ]

    def consent_csv_view(self, request, member_id: int):
        """Proof of consent for one member, as CSV (for a regulator or the member)."""
        if not request.user.has_perm("accounts.view_consentchange"):
            raise PermissionDenied
        member = get_object_or_404(Member, pk=member_id)
        columns = ["changed_at", "channel", "granted", "source", "source_label", "store"]
        columns += ["changed_by", "detail"]
        return csv_response(
            filename=f"consent-{member.card_number}.csv",
            header=columns,
            rows=([row[column] for column in columns] for row in consent_proof_for(member=member)),
        )

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
        # Read before the action runs: the balance it starts from, and what it would become.
        balance = action.preview(member, form) if action.preview else None
        extra = action.context(member, form) if action.context else {}
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
            action.template,
            {
                **extra,
                **self.admin_site.each_context(request),
                "title": f"{action.title}: {member}",
                "action": action,
                "member": member,
                "form": form,
                "balance": balance,
                "opts": self.model._meta,
            },
        )
