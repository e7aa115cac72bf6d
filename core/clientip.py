"""The client's address, read through the reverse proxies we trust.

One setting, `TRUSTED_PROXY_COUNT`, says how many proxies stand in front of Django. Each one
appends the address it received the request from to `X-Forwarded-For`, so the client is the
entry that many places from the right; anything further left was written by the client itself and
is ignored. With no trusted proxies (the default) the connecting address is the client. The
portal's rate limits and django-axes (`AXES_CLIENT_IP_CALLABLE`) both read it here, so they always
agree on who the client is.
"""

import ipaddress

from django.conf import settings


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    connecting = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return connecting
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part]
    if len(forwarded) < proxies:
        # Not through every proxy we expect: a misconfiguration or a request that went around
        # them; the connecting address is all we can trust.
        return connecting
    return _valid(forwarded[-proxies]) or connecting
