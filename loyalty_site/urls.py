from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.permissions import AllowAny

from .api.errors import handler400, handler404, handler500  # noqa: F401  (Django looks them up here)
from .health import health_view, readiness_view

_public_docs = {
    "authentication_classes": [],
    "permission_classes": [AllowAny],
    "throttle_classes": [],
}


# Redoc's bundle injects two fixed stylesheets of its own (the scroll bars' and an empty one)
# without our nonce: allowed by their hashes, nothing else. Its search runs in a worker started
# from a blob. tests/test_browser_csp.py fails when a Redoc upgrade changes them.
_redoc_csp = csp_update(
    {
        "style-src": [
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
            "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
        ],
        "worker-src": ["'self'", "blob:"],
    }
)


def _moved(pattern_name: str):
    return RedirectView.as_view(pattern_name=pattern_name, query_string=True, permanent=True)


urlpatterns = [
    # The KPI dashboard's addresses before it moved to the insights app (bookmarks, links).
    path("admin/campaigns/kpirefresh/", _moved("admin:insights_kpirefresh_changelist")),
    path(
        "admin/campaigns/kpirefresh/export/<slug:figure>/",
        _moved("admin:insights_kpirefresh_export"),
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("points.api.urls")),
    path("api/v1/", include("rewards.api.urls")),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("portal.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(**_public_docs), name="api-schema"),
    path(
        "api/docs/",
        # Its start-up script is a file of its own (`?script`), not inline: works under a CSP.
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", **_public_docs),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        _redoc_csp(SpectacularRedocView.as_view(url_name="api-schema", **_public_docs)),
        name="api-redoc",
    ),
    path("health/", health_view, name="health"),
    path("health/live/", health_view, name="health-live"),
    path("health/ready/", readiness_view, name="health-ready"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("portal.urls")),
]
