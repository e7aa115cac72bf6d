"""Absolute links to this site in messages (no request to take the host from): the one place
that joins the site's public address (`LOYALTY_PORTAL_URL`) and a path."""

from django.conf import settings

# Where `make run` serves the site: the links of a deployment that did not set its address
# (`check --deploy` warns, loyalty.W003).
UNSET_SITE_URL = "http://127.0.0.1:8000"


def site_url(path: str) -> str:
    """`path` (from reverse(), starting with /) on the site's public address."""
    return (settings.LOYALTY_PORTAL_URL or UNSET_SITE_URL).rstrip("/") + path
