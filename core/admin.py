"""Background jobs in admin, for managers: what waits, what failed and why, and retry now."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import outbox
from .models import OutboxJob


@admin.register(OutboxJob)
class OutboxJobAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

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
