"""The programme's logo, served from the database row it is kept in."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from accounts.selectors import branding_logo


@require_GET
def logo_view(request):
    logo = branding_logo()
    if logo is None:
        raise Http404
    content, content_type = logo
    response = HttpResponse(content, content_type=content_type)
    # The address carries the version (?v=…), so the browser may keep it for a year.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
