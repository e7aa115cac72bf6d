"""Signing in and up: links by e-mail, passwords, sign-up, signing out."""

from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import portal as accounts_portal
from accounts.models import Member
from core import ratelimit
from core.errors import ApplicationError

from .. import forms
from .common import _login_link_url, _sign_in, client_ip

LINK_REQUESTS_PER_EMAIL = 5
LINK_REQUESTS_PER_IP = 30
PASSWORD_FAILURES_PER_EMAIL = 5
PASSWORD_FAILURES_PER_IP = 30
WINDOW_SECONDS = 15 * 60


# --- signing in ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and getattr(request.user, "member", None):
        return redirect("portal:dashboard")
    link_form = forms.EmailForm(prefix="link")
    password_form = forms.PasswordLoginForm(prefix="password")
    if request.method == "POST" and "link-email" in request.POST:
        link_form = forms.EmailForm(request.POST, prefix="link")
        if link_form.is_valid():
            _request_link(request, link_form.cleaned_data["email"])
            # The same answer whether the address is known or not.
            return redirect("portal:login-sent")
    elif request.method == "POST":
        password_form = forms.PasswordLoginForm(request.POST, prefix="password")
        if password_form.is_valid():
            response = _password_login(request, password_form)
            if response is not None:
                return response
    return render(
        request,
        "portal/login.html",
        {
            "link_form": link_form,
            "password_form": password_form,
            "next": request.GET.get("next", ""),
        },
    )


def _request_link(request, email: str) -> None:
    ip = client_ip(request)
    if ratelimit.is_limited(
        "link-email", email, limit=LINK_REQUESTS_PER_EMAIL
    ) or ratelimit.is_limited("link-ip", ip, limit=LINK_REQUESTS_PER_IP):
        return
    ratelimit.count_attempt("link-email", email, window_seconds=WINDOW_SECONDS)
    ratelimit.count_attempt("link-ip", ip, window_seconds=WINDOW_SECONDS)
    accounts_portal.login_link_request(
        email=email, link_for=lambda token: _login_link_url(request, token)
    )


def _password_login(request, form):
    email, ip = form.cleaned_data["email"].strip().lower(), client_ip(request)
    if ratelimit.is_limited(
        "password-email", email, limit=PASSWORD_FAILURES_PER_EMAIL
    ) or ratelimit.is_limited("password-ip", ip, limit=PASSWORD_FAILURES_PER_IP):
        form.add_error(
            None, _("Too many attempts. Try again in 15 minutes, or ask for a sign-in link.")
        )
        return None
    member = (
        Member.objects.filter(email=email, status=Member.Status.ACTIVE)
        .select_related("user")
        .first()
    )
    user = None
    if member is not None and member.user_id:
        user = authenticate(
            request, username=member.user.username, password=form.cleaned_data["password"]
        )
    if user is None:
        ratelimit.count_attempt("password-email", email, window_seconds=WINDOW_SECONDS)
        ratelimit.count_attempt("password-ip", ip, window_seconds=WINDOW_SECONDS)
        form.add_error(None, _("This e-mail address and password do not match."))
        return None
    ratelimit.reset("password-email", email)
    return _sign_in(request, member)


def login_sent_view(request):
    return render(request, "portal/login_sent.html")


@require_http_methods(["GET", "POST"])
def login_link_view(request, token: str):
    # GET only shows a button: mail scanners that open links must not use up the token.
    if request.method == "GET":
        member = accounts_portal.login_link_peek(token)
        return render(request, "portal/login_link.html", {"valid": member is not None})
    try:
        member = accounts_portal.login_link_consume(token)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("portal:login")
    return _sign_in(request, member)


@require_POST
def logout_view(request):
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("portal:login")


@require_http_methods(["GET", "POST"])
def signup_view(request):
    # An invitation link (/signup/?ref=CODE) fills in the friend's referral code.
    initial = {"language": translation.get_language(), "referral_code": request.GET.get("ref", "")}
    form = forms.SignupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            accounts_portal.member_sign_up(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                birth_date=data["birth_date"],
                language=data["language"],
                consent_email=data["consent_email"],
                referral_code=data["referral_code"] or None,
                link_for=lambda token: _login_link_url(request, token),
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            return redirect("portal:login-sent")
    return render(request, "portal/signup.html", {"form": form})
