from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .audit import action_label, staff_action_sentence
from .branding import palette
from .models import (
    TILL_SCOPES,
    ApiScope,
    Branding,
    ClosureRequest,
    ConsentChange,
    Erasure,
    PosApiKey,
    StaffAction,
    Store,
)
from .services import api_key_create, api_key_revoke, api_key_set_scopes, member_erase


class ReadOnlyAdminMixin:
    """History is looked at, never edited: no add, change or delete, whoever asks."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SingletonAdmin(admin.ModelAdmin):
    """Settings stored as one row (`Model.current()`): the list page goes straight to it."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.model.current().pk]
            )
        )


class RuleKindAdminMixin:
    """An admin of rules with a `kind` (earning rules, bonus campaigns): its list page says when
    to use it (`guidance`), its form shows only the fields of the chosen kind."""

    guidance: object = None
    change_list_template = "admin/change_list_with_guidance.html"

    class Media:
        js = ["backoffice/kind_fields.js"]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"guidance": self.guidance, **(extra_context or {})}
        return super().changelist_view(request, extra_context)


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "channel", "is_active"]
    list_filter = ["channel", "is_active"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: purchases and members point at stores


class PosApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=list(TILL_SCOPES),
        help_text=_("What this key may do. A till needs the ones ticked for a new key."),
    )

    class Meta:
        model = PosApiKey
        fields = ["store", "name", "scopes"]


@admin.register(PosApiKey)
class PosApiKeyAdmin(admin.ModelAdmin):
    form = PosApiKeyForm
    list_display = ["name", "store", "prefix", "scope_list", "last_used_at", "revoked_at"]
    list_filter = ["store", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "store__code"]
    actions = ["revoke"]
    fields = ["store", "name", "scopes"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj) -> str:
        return ", ".join(obj.scopes) or "—"

    def get_fields(self, request, obj=None):
        fields = ["store", "name", "scopes"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["store", *self.readonly_fields]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead, so the history of who used which key stays

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            if "scopes" in form.changed_data:  # through the service: it clears the key cache
                api_key_set_scopes(api_key=obj, scopes=form.cleaned_data["scopes"])
            return
        new_key = api_key_create(
            store=obj.store, name=obj.name, actor=request.user, scopes=form.cleaned_data["scopes"]
        )
        obj.pk, obj.prefix, obj.key_hash = new_key.api_key.pk, new_key.api_key.prefix, ""
        obj._state.adding = False
        request._new_raw_api_key = new_key.raw_key

    def response_add(self, request, obj, post_url_continue=None):
        # The key is shown once, on this page, and never stored or put in a cookie.
        return TemplateResponse(
            request,
            "admin/accounts/api_key_created.html",
            {
                **self.admin_site.each_context(request),
                "title": _("API key created"),
                "api_key": obj,
                "raw_key": request._new_raw_api_key,
                "opts": self.model._meta,
            },
        )

    @admin.action(description=_("Revoke selected keys"), permissions=["change"])
    def revoke(self, request, queryset) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, _("Keys revoked."), messages.SUCCESS)


@admin.register(ConsentChange)
class ConsentChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["member", "channel", "is_granted", "source", "changed_at"]
    list_filter = ["channel", "is_granted", "source"]
    search_fields = ["member__card_number", "member__email"]
    list_select_related = ["member"]
    raw_id_fields = ["member"]


class StaffActionKindFilter(admin.SimpleListFilter):
    title = _("what")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        codes = StaffAction.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((code, action_label(code)) for code in codes), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "staff_user", "what", "member", "reason"]
    list_filter = [StaffActionKindFilter, "staff_user"]
    search_fields = ["member__card_number", "reason", "staff_user__username"]
    list_select_related = ["member", "staff_user"]
    date_hierarchy = "created_at"
    # Sentences, not the stored data (`before`, `after`): that is for the code that writes it.
    fields = readonly_fields = ["created_at", "staff_user", "member", "what", "reason"]

    @admin.display(description=_("what"))
    def what(self, action: StaffAction) -> str:
        return staff_action_sentence(action)


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who erased whom, when, why and how it was asked; never what was erased."""

    list_display = ["erased_at", "member", "via", "erased_by", "reason"]
    list_filter = ["via"]
    search_fields = ["=member__card_number"]
    list_select_related = ["member", "erased_by"]
    date_hierarchy = "erased_at"


class CloseAccountForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )


@admin.register(ClosureRequest)
class ClosureRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["requested_at", "member", "reason", "handled_at"]
    list_filter = [("handled_at", admin.EmptyFieldListFilter)]
    search_fields = ["=member__card_number", "member__email"]
    list_select_related = ["member"]
    actions = ["close_accounts"]

    def has_close_accounts_permission(self, request) -> bool:
        return request.user.has_perm("accounts.erase_member")

    @admin.action(
        description=_("Close these accounts (erase personal data)"), permissions=["close_accounts"]
    )
    def close_accounts(self, request, queryset):
        form = CloseAccountForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for closure in queryset.filter(handled_at__isnull=True).select_related("member"):
                with transaction.atomic(durable=True):
                    member_erase(
                        member=closure.member,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        via=Erasure.Via.CLOSURE_REQUEST,
                    )
            self.message_user(request, _("Accounts closed."), messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/accounts/close_accounts.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Close accounts"),
                "requests": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


LOGO_MAX_BYTES = 512 * 1024
# Raster images only: an SVG can carry scripts, which would run on our own domain.
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


class BrandingForm(forms.ModelForm):
    logo_upload = forms.ImageField(
        label=_("logo"),
        required=False,
        help_text=_(
            "PNG, JPEG, WebP or GIF, at most 512 kB; shown about 40 pixels high in the portal's "
            "header (a wide logo on a transparent background works best)."
        ),
    )
    logo_remove = forms.BooleanField(label=_("remove the logo"), required=False)

    class Meta:
        model = Branding
        fields = [
            "programme_name",
            "primary_colour",
            "sender_name",
            "sender_email",
            "support_text_nl",
            "support_text_en",
        ]

    def clean_logo_upload(self):
        upload = self.cleaned_data.get("logo_upload")
        if not upload:
            return upload
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo is too large: at most 512 kB, please."))
        if getattr(upload, "image", None) is None or upload.image.format not in LOGO_TYPES:
            raise forms.ValidationError(_("Upload the logo as PNG, JPEG, WebP or GIF."))
        return upload

    def save(self, commit=True):
        branding = super().save(commit=False)
        upload = self.cleaned_data.get("logo_upload")
        if upload:
            upload.seek(0)
            branding.logo = upload.read()
            branding.logo_content_type = LOGO_TYPES[upload.image.format]
        elif self.cleaned_data.get("logo_remove"):
            branding.logo, branding.logo_content_type = b"", ""
        if commit:
            branding.save()
        return branding


@admin.register(Branding)
class BrandingAdmin(SingletonAdmin):
    form = BrandingForm
    readonly_fields = ["current_logo", "colours"]
    fieldsets = [
        (None, {"fields": ["programme_name", "support_text_nl", "support_text_en"]}),
        (
            _("Look"),
            {"fields": ["current_logo", "logo_upload", "logo_remove", "primary_colour", "colours"]},
        ),
        (_("E-mails"), {"fields": ["sender_name", "sender_email"]}),
    ]

    @admin.display(description=_("current logo"))
    def current_logo(self, branding):
        if not branding.has_logo:
            return _("none")
        return format_html('<img src="{}" alt="" height="40">', reverse("portal:logo"))

    @admin.display(description=_("colours in the portal"))
    def colours(self, branding):
        colours = palette(branding.primary_colour)
        # SVG presentation attributes, not style attributes (the CSP allows no inline styles).
        return format_html(
            '<svg width="320" height="32" aria-hidden="true">'
            '<rect width="200" height="32" fill="{}"/>'
            '<text x="10" y="21" fill="{}">{}</text>'
            '<text x="210" y="21" fill="{}">{}</text></svg>',
            colours.brand,
            colours.brand_ink,
            _("Header and buttons"),
            colours.brand_text,
            _("Links"),
        )
