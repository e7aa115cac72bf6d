"""What every portal view shares: the signed-in member, signing in, where to go afterwards."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts import portal as accounts_portal
from accounts.models import Member
from points import services as points_services

# The member a sign-up just enrolled, whose welcome page this browser may show.
WELCOME_SESSION_KEY = "portal:new-member"
# The local day whose portal visit was scored already.
VISIT_SCORED_SESSION_KEY = "portal:visit-scored"


def safe_next(value: str | None, request) -> str:
    """Where to go after signing in: a page of this site, never another one ("" if not)."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def member_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        member = getattr(request.user, "member", None) if request.user.is_authenticated else None
        if member is None:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if not member.is_active:
            logout(request)
            messages.error(request, _("This account cannot sign in. Please contact the shop."))
            return redirect("portal:login")
        request.member = member
        _score_todays_visit(request, member)
        translation.activate(member.language)
        request.LANGUAGE_CODE = member.language
        return view(request, *args, **kwargs)

    return wrapper


def _score_todays_visit(request, member: Member) -> None:
    """Using the portal counts towards the loyalty score once a day (the session remembers the
    day, so only the first page of a day writes)."""
    today = timezone.localdate().isoformat()
    if request.session.get(VISIT_SCORED_SESSION_KEY) == today:
        return
    points_services.score_record_portal_visit(member_id=member.pk)
    request.session[VISIT_SCORED_SESSION_KEY] = today


def _sign_in(request, member: Member):
    user = accounts_portal.portal_user_for(member)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.pop(WELCOME_SESSION_KEY, None)
    translation.activate(member.language)
    response = redirect(safe_next(request.POST.get("next"), request) or "portal:dashboard")
    set_language_cookie(response, member.language)
    return response


def set_language_cookie(response, language: str) -> None:
    """The language cookie with the settings of Django's own (Secure in production)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _login_link_url(request, token: str, next_url: str = "") -> str:
    url = reverse("portal:login-link", args=[token])
    if next_url:
        url = f"{url}?{urlencode({'next': next_url})}"
    return request.build_absolute_uri(url)
