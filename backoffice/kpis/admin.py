"""Admin → Campaigns → KPI dashboard: the page and the CSV export of each figure."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.csv_export import csv_response
from core.replica import reads_from_replica
from insights import figures
from insights.models import KpiRefresh
from points.models import LoyaltyProgram

from . import presentation, tables


@admin.register(KpiRefresh)
class KpiDashboardAdmin(admin.ModelAdmin):
    """Admin → Campaigns → KPI dashboard: the figures for a period, store or channel, with a
    CSV export of each. Needs the permission "Can see the KPI dashboard" (manager, marketing)."""

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("insights.view_kpis")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "export/<slug:figure>/",
                self.admin_site.admin_view(self.export_view),
                name="insights_kpirefresh_export",
            ),
            *super().get_urls(),
        ]

    def _form(self, request) -> presentation.KpiFilterForm:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return presentation.KpiFilterForm.from_query(request.GET, timezone.localdate())

    @reads_from_replica
    def changelist_view(self, request, extra_context=None):
        form = self._form(request)
        context = {
            **self.admin_site.each_context(request),
            "title": _("KPI dashboard"),
            "opts": self.model._meta,
            "form": form,
            "query": request.GET.urlencode(),
        }
        if form.is_valid():
            board = figures.dashboard(form.kpi_filter())
            context.update(
                board=board,
                tiles=presentation.tiles(board),
                sections=presentation.sections(board),
                dormant_threshold_changed=(
                    board.refresh is not None
                    and board.refresh.dormant_after_days
                    != LoyaltyProgram.current().dormant_after_days
                ),
            )
        return TemplateResponse(request, "admin/kpis/dashboard.html", context)

    @reads_from_replica  # the tables are lists, read before the view returns
    def export_view(self, request, figure: str):
        form = self._form(request)
        export = tables.EXPORTS.get(figure)
        if export is None:
            raise Http404
        if not form.is_valid():
            return HttpResponseBadRequest(form.errors.as_text(), content_type="text/plain")
        kpi_filter = form.kpi_filter()
        table = export(kpi_filter)
        return csv_response(
            filename=f"kpi-{figure}-{kpi_filter.start:%Y%m%d}-{kpi_filter.end:%Y%m%d}.csv",
            header=table.header,
            rows=table.rows,
        )
