"""Our own checks for `manage.py check --deploy`: what production needs beyond Django's list."""

import os

from django.conf import settings
from django.core import checks

from core.links import UNSET_SITE_URL

# Backends that never deliver a message to anyone.
_UNDELIVERED = {
    "django.core.mail.backends.console.EmailBackend": "writes mail to the console",
    "django.core.mail.backends.filebased.EmailBackend": "writes mail to files",
    "django.core.mail.backends.locmem.EmailBackend": "keeps mail in memory",
    "django.core.mail.backends.dummy.EmailBackend": "throws mail away",
}


@checks.register(checks.Tags.compatibility, deploy=True)
def check_production_email(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    what = _UNDELIVERED.get(settings.EMAIL_BACKEND)
    if what:
        found.append(
            checks.Warning(
                f"E-mail is not sent: the backend {what}, so members get no sign-in links, "
                "offers or codes.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587.",
                id="loyalty.W001",
            )
        )
    if settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">") in ("example.com", "localhost"):
        found.append(
            checks.Warning(
                f"Mail is sent from {settings.DEFAULT_FROM_EMAIL}, an address nobody reads "
                "and that mail servers reject as a sender.",
                hint="Set DEFAULT_FROM_EMAIL, e.g. Loyalty <loyalty@your-shop.nl>.",
                id="loyalty.W002",
            )
        )
    if not settings.LOYALTY_PORTAL_URL:
        found.append(
            checks.Warning(
                "LOYALTY_PORTAL_URL is not set: offer e-mails carry no link to the member portal, "
                f"and unsubscribe and satisfaction links point at {UNSET_SITE_URL}.",
                hint="Set LOYALTY_PORTAL_URL to the portal's address, e.g. https://loyalty.example.com/.",
                id="loyalty.W003",
            )
        )
    elif not settings.LOYALTY_PORTAL_URL.startswith("https://"):
        found.append(
            checks.Warning(
                f"LOYALTY_PORTAL_URL ({settings.LOYALTY_PORTAL_URL}) is not an https:// address.",
                hint="Members follow this link from their e-mail; serve the portal over HTTPS.",
                id="loyalty.W004",
            )
        )
    if os.environ.get("LOYALTY_SITE_URL"):
        found.append(
            checks.Warning(
                "LOYALTY_SITE_URL is deprecated: it is the same address as LOYALTY_PORTAL_URL, "
                "which wins when both are set.",
                hint="Rename LOYALTY_SITE_URL to LOYALTY_PORTAL_URL in the environment.",
                id="loyalty.W005",
            )
        )
    return found
