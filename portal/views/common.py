"""What every portal view shares: the signed-in member, the client address."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import portal as accounts_portal
from accounts.models import Member

# The member a sign-up just enrolled, whose welcome page this browser may show.
WELCOME_SESSION_KEY = "portal:new-member"


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


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
        translation.activate(member.language)
        request.LANGUAGE_CODE = member.language
        return view(request, *args, **kwargs)

    return wrapper


def _sign_in(request, member: Member):
    user = accounts_portal.portal_user_for(member)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.pop(WELCOME_SESSION_KEY, None)
    translation.activate(member.language)
    response = redirect(request.POST.get("next") or "portal:dashboard")
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, member.language, samesite="Lax")
    return response


def _login_link_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("portal:login-link", args=[token]))
