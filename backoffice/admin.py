"""The back office's admin: the site's titles, and the member page (`member_page/`)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .kpis.admin import KpiDashboardAdmin
from .member_page.admin import MemberAdmin

__all__ = ["KpiDashboardAdmin", "MemberAdmin"]

admin.site.site_header = _("Loyalty programme")
admin.site.site_title = _("Loyalty programme")
admin.site.index_title = _("Back office")
