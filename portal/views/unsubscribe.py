"""One-click unsubscribe from a marketing message: no sign-in needed (accounts.unsubscribe)."""

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts import unsubscribe
from core.errors import ApplicationError


# CSRF-exempt: the mail client's one-click POST (RFC 8058) carries no token. The signed link is
# what authorises it, and all it can do is withdraw that one consent.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request, token: str):
    # GET only shows a button: mail scanners that open links must not unsubscribe anyone.
    try:
        if request.method == "GET":
            _member, channel = unsubscribe.unsubscribe_target(token)
            done = False
        else:
            _member, channel = unsubscribe.consent_withdraw_by_link(token=token)
            done = True
    except ApplicationError:
        return render(request, "portal/unsubscribe.html", {"valid": False}, status=404)
    return render(
        request,
        "portal/unsubscribe.html",
        {"valid": True, "done": done, "channel": channel},
    )
