"""Signing in and up: links by e-mail, passwords, sign-up, signing out."""

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import portal as accounts_portal
from accounts.selectors import active_member_get
from core import ratelimit
from core.clientip import client_ip
from core.errors import ApplicationError, TooManyAttempts

from .. import forms, images
from .common import WELCOME_SESSION_KEY, _login_link_url, _sign_in, safe_next

PASSWORD_FAILURES_PER_EMAIL = 5
PASSWORD_FAILURES_PER_IP = 30
WINDOW_SECONDS = 15 * 60
SENT_TO_SESSION_KEY = "portal_link_sent_to"


# --- signing in ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and getattr(request.user, "member", None):
        return redirect("portal:dashboard")
    link_form = forms.EmailForm(prefix="link")
    password_form = forms.PasswordLoginForm(prefix="password")
    next_url = safe_next(request.POST.get("next") or request.GET.get("next"), request)
    status = 200
    if request.method == "POST" and "link-email" in request.POST:
        link_form = forms.EmailForm(request.POST, prefix="link")
        if link_form.is_valid():
            try:
                accounts_portal.login_link_request(
                    email=link_form.cleaned_data["email"],
                    client=client_ip(request),
                    link_for=lambda token: _login_link_url(request, token, next_url),
                )
            except TooManyAttempts as error:
                # Over the budget, known address or not: the same answer for both.
                link_form.add_error(None, str(error.message))
                status = 429
            else:
                # The same answer whether the address is known or not.
                return _link_sent(request, link_form.cleaned_data["email"], next_url)
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
            "next": next_url,
        },
        status=status,
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
    member = accounts_portal.member_password_check(
        email=email, password=form.cleaned_data["password"]
    )
    if member is None:
        ratelimit.count_attempt("password-email", email, window_seconds=WINDOW_SECONDS)
        ratelimit.count_attempt("password-ip", ip, window_seconds=WINDOW_SECONDS)
        form.add_error(None, _("This e-mail address and password do not match."))
        return None
    ratelimit.reset("password-email", email)
    return _sign_in(request, member)


def _link_sent(request, email: str, next_url: str = ""):
    # Kept for "send it again" on the next page, which asks through the sign-in form (and so
    # from the same budget).
    request.session[SENT_TO_SESSION_KEY] = {"email": email, "next": next_url}
    return redirect("portal:login-sent")


def login_sent_view(request):
    sent_to = request.session.get(SENT_TO_SESSION_KEY) or {}
    return render(
        request,
        "portal/login_sent.html",
        {"email": sent_to.get("email", ""), "next": safe_next(sent_to.get("next"), request)},
    )


@require_http_methods(["GET", "POST"])
def login_link_view(request, token: str):
    # GET only shows a button: mail scanners that open links must not use up the token.
    if request.method == "GET":
        member = accounts_portal.login_link_peek(token)
        return render(
            request,
            "portal/login_link.html",
            {"valid": member is not None, "next": safe_next(request.GET.get("next"), request)},
        )
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
    form = forms.SignupForm(request.POST or None, initial={"language": translation.get_language()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sign_up = accounts_portal.member_sign_up(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                birth_date=data["birth_date"],
                language=data["language"],
                consent_email=data["consent_email"],
                referral_code=data["referral_code"] or None,
                client=client_ip(request),
                link_for=lambda token: _login_link_url(request, token),
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
            status = error.status_code if isinstance(error, TooManyAttempts) else 200
            return render(request, "portal/signup.html", {"form": form}, status=status)
        if sign_up.is_new:
            # Only the browser that just enrolled sees the new card number.
            request.session[WELCOME_SESSION_KEY] = sign_up.member.pk
            return redirect("portal:welcome")
        return _link_sent(request, data["email"])
    return render(request, "portal/signup.html", {"form": form})


def welcome_view(request):
    """The new member's card number, straight after signing up, in this browser only."""
    member_id = request.session.get(WELCOME_SESSION_KEY)
    member = active_member_get(member_id) if member_id else None
    if member is None:
        return redirect("portal:signup")
    return render(
        request,
        "portal/welcome.html",
        {"member": member, "barcode": images.barcode_svg(member.card_number)},
    )
