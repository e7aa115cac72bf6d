"""Background jobs in admin, for managers: what waits, what failed and why, and retry now.
Webhook endpoints and their delivery log (with replay)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import outbox, webhooks
from .errors import InvalidInput
from .models import OutboxJob, WebhookDelivery, WebhookEndpoint


class WorkLogAdmin(admin.ModelAdmin):
    """A log of work the system does (jobs, deliveries): read only, with its last error."""

    @admin.display(description=_("last error"))
    def error_summary(self, row) -> str:
        return row.last_error[:120]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxJob)
class OutboxJobAdmin(WorkLogAdmin):
    list_display = ["kind", "dedup_key", "state", "failures", "next_attempt_at", "error_summary"]
    list_filter = ["state", "kind"]
    search_fields = ["=dedup_key"]
    date_hierarchy = "created_at"
    actions = ["retry_now", "dismiss"]
    exclude = ["payload"]  # shown through payload_shown
    readonly_fields = [
        "kind",
        "dedup_key",
        "payload_shown",
        "state",
        "attempts",
        "failures",
        "created_at",
        "next_attempt_at",
        "lease_until",
        "done_at",
        "last_error",
    ]
    # What only the code needs: shown to superusers, hidden from managers.
    raw_parts = ["dedup_key", "payload_shown", "lease_until", "last_error", "attempts"]
    list_per_page = 100
    show_full_result_count = False  # the table can be large: no COUNT(*) of everything

    @admin.display(description=_("payload"))
    def payload_shown(self, job: OutboxJob) -> object:
        # A payload that holds a secret (a sign-in link) is kept until the job is done, so that
        # it can be retried; shown here, it would let staff sign in as the member.
        kind = outbox.kinds().get(job.kind)
        if kind is not None and kind.forget_payload and job.payload:
            return _("(hidden: it holds a secret)")
        return job.payload

    @admin.display(description=_("last error"))
    def error_summary(self, job: OutboxJob) -> str:
        # The last line of a traceback says what went wrong; the rest is for superusers.
        lines = [line for line in job.last_error.splitlines() if line.strip()]
        return lines[-1][:120] if lines else ""

    def get_list_display(self, request):
        if request.user.is_superuser:
            return self.list_display
        return [name for name in self.list_display if name not in self.raw_parts]

    def get_fields(self, request, obj=None):
        fields = self.readonly_fields
        if not request.user.is_superuser:
            fields = [name for name in fields if name not in self.raw_parts]
            fields = [*fields, "error_summary"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("core.retry_outboxjob")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request, queryset) -> None:
        count = outbox.retry_now(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d job queued again.", "%(count)d jobs queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Dismiss without running (gave up only)"), permissions=["retry"])
    def dismiss(self, request, queryset) -> None:
        count = outbox.dismiss(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d job dismissed.", "%(count)d jobs dismissed.", count)
            % {"count": count},
            messages.SUCCESS,
        )


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=[(name, name) for name in webhooks.EVENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every event."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "active"]

    def clean_url(self) -> str:
        try:
            return webhooks.url_check(self.cleaned_data["url"])
        except InvalidInput as error:
            raise forms.ValidationError(error.message) from error


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Managers only (loyalty_site.roles): the secret lets whoever holds it forge events."""

    form = WebhookEndpointForm
    list_display = ["url", "events_shown", "active", "failing_since", "disabled_at"]
    list_filter = ["active"]
    readonly_fields = ["secret", "created_at", "failing_since", "disabled_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # switched off instead: the delivery log keeps pointing at it

    @admin.display(description=_("events"))
    def events_shown(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events) or _("every event")

    def save_model(self, request, obj, form, change) -> None:
        if not obj.secret:
            obj.secret = webhooks.secret_new()
        if obj.active:
            obj.disabled_at = None  # switched on again: its failures start afresh
            obj.failing_since = None
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(WorkLogAdmin):
    list_display = [
        "created_at",
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_code",
        "error_summary",
    ]
    list_filter = ["status", "event", "endpoint"]
    search_fields = ["=msg_id"]
    date_hierarchy = "created_at"
    actions = ["replay"]
    list_select_related = ["endpoint"]
    readonly_fields = [
        "endpoint",
        "msg_id",
        "event",
        "chain",
        "payload",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "created_at",
        "last_attempt_at",
        "delivered_at",
    ]
    list_per_page = 100
    show_full_result_count = False
    change_form_template = "admin/core/webhookdelivery/change_form.html"

    def has_replay_permission(self, request) -> bool:
        return request.user.has_perm("core.replay_webhookdelivery")

    def _replayed(self, request, count: int) -> None:
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.", "%(count)d deliveries queued again.", count
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.action(description=_("Replay (same webhook-id)"), permissions=["replay"])
    def replay(self, request, queryset) -> None:
        self._replayed(request, webhooks.replay(list(queryset.values_list("pk", flat=True))))

    def get_urls(self):
        return [
            path(
                "<int:pk>/replay/",
                self.admin_site.admin_view(self.replay_view),
                name="core_webhookdelivery_replay",
            ),
            *super().get_urls(),
        ]

    def replay_view(self, request, pk: int) -> HttpResponseRedirect:
        """The change page's Replay button (POST only)."""
        if request.method != "POST" or not self.has_replay_permission(request):
            raise PermissionDenied
        self._replayed(request, webhooks.replay([pk]))
        return HttpResponseRedirect(reverse("admin:core_webhookdelivery_change", args=[pk]))

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_replay"] = self.has_replay_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)
