"""The member portal: thin views over the services; every page shows the signed-in member only."""

import json
import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import portal as accounts_portal
from accounts.models import ConsentChange, Member
from accounts.services import member_consent_set, member_enrol, member_update_contact
from campaigns.services import survey_answer, survey_next_due
from core import ratelimit
from core.errors import ApplicationError
from points.selectors import entry_description, ledger_entries_for, member_summary_get
from rewards.models import IssuedReward, Reward, StoreCreditEntry
from rewards.selectors import catalogue_for, codes_for, store_credit_balance, unused_codes_for
from rewards.services import reward_redeem

from . import charts, export, forms, images

LINK_REQUESTS_PER_EMAIL = 5
LINK_REQUESTS_PER_IP = 30
PASSWORD_FAILURES_PER_EMAIL = 5
PASSWORD_FAILURES_PER_IP = 30
WINDOW_SECONDS = 15 * 60

ENTRY_KINDS = {
    "earned": ["earn", "activity", "bonus"],
    "spent": ["redemption"],
    "expired": ["expiry"],
    "corrections": ["adjustment", "refund_reversal", "redemption_reversal"],
}


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
    translation.activate(member.language)
    response = redirect(request.POST.get("next") or "portal:dashboard")
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, member.language, samesite="Lax")
    return response


def _send_login_link(request, member: Member) -> None:
    accounts_portal.login_link_issue(
        member=member,
        link_for=lambda token: request.build_absolute_uri(
            reverse("portal:login-link", args=[token])
        ),
    )


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
    member = Member.objects.filter(email=email.strip().lower(), status=Member.Status.ACTIVE).first()
    if member is not None:
        with transaction.atomic(durable=True):
            _send_login_link(request, member)


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
    form = forms.SignupForm(request.POST or None, initial={"language": translation.get_language()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        existing = Member.objects.filter(email=data["email"]).first()
        try:
            with transaction.atomic(durable=True):
                if existing is None:
                    member = member_enrol(
                        email=data["email"],
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        birth_date=data["birth_date"],
                        language=data["language"],
                        consents={"email": data["consent_email"]},
                        source=ConsentChange.Source.PORTAL,
                        referral_code=data["referral_code"] or None,
                    )
                    _send_login_link(request, member)
                elif existing.is_active:
                    # Already a member: a sign-in link, and the same answer as for a new one.
                    _send_login_link(request, existing)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            return redirect("portal:login-sent")
    return render(request, "portal/signup.html", {"form": form})


# --- pages ---------------------------------------------------------------------------------


@member_required
def dashboard_view(request):
    member = request.member
    summary = member_summary_get(member=member)
    entries = list(ledger_entries_for(member=member)[:5])
    next_tier = summary.tier.next_tier
    unlocks = (
        list(Reward.objects.available().filter(minimum_tier=next_tier)[:3]) if next_tier else []
    )
    progress = 100
    if next_tier and next_tier.threshold:
        progress = min(100, round(100 * summary.tier.qualifying_points / next_tier.threshold))
    return render(
        request,
        "portal/dashboard.html",
        {
            "summary": summary,
            "entries": [(entry, entry_description(entry)) for entry in entries],
            "store_credit": store_credit_balance(member=member),
            "progress": progress,
            "unlocks": unlocks,
            "chart": charts.monthly_points_chart(member),
            "survey_due": survey_next_due(member) is None,
            "unused_codes": unused_codes_for(member=member).count(),
        },
    )


@member_required
def card_view(request):
    number = request.member.card_number
    return render(
        request,
        "portal/card.html",
        {"qr": images.qr_svg(number, scale=8), "barcode": images.barcode_svg(number)},
    )


@member_required
def history_view(request):
    form = forms.HistoryFilterForm(request.GET or None)
    entries = ledger_entries_for(member=request.member)
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            entries = entries.filter(kind__in=ENTRY_KINDS[data["kind"]])
        if data["date_from"]:
            entries = entries.filter(created_at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(created_at__date__lte=data["date_to"])
    page = Paginator(entries, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/history.html",
        {
            "form": form,
            "page": page,
            "rows": [(entry, entry_description(entry)) for entry in page],
            "query": query.urlencode(),
        },
    )


@member_required
def credit_history_view(request):
    entries = (
        StoreCreditEntry.objects.filter(account__member=request.member)
        .select_related("purchase__store")
        .order_by("-id")
    )
    page = Paginator(entries, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/credit_history.html",
        {"page": page, "balance": store_credit_balance(member=request.member)},
    )


@member_required
def rewards_view(request):
    summary = member_summary_get(member=request.member)
    return render(
        request,
        "portal/rewards.html",
        {
            "summary": summary,
            "catalogue": catalogue_for(member=request.member, account=summary.account),
        },
    )


def _visible_reward(request, reward_id: int):
    summary = member_summary_get(member=request.member)
    for item in catalogue_for(member=request.member, account=summary.account):
        if item.reward.pk == reward_id:
            return item, summary
    raise Http404


@member_required
def reward_confirm_view(request, reward_id: int):
    item, summary = _visible_reward(request, reward_id)
    form = forms.RedeemForm(initial={"idempotency_key": uuid.uuid4()})
    return render(
        request,
        "portal/reward_confirm.html",
        {
            "item": item,
            "summary": summary,
            "balance_after": summary.points_balance - item.reward.points_cost,
            "form": form,
        },
    )


@member_required
@require_POST
def reward_redeem_view(request, reward_id: int):
    form = forms.RedeemForm(request.POST)
    if not form.is_valid():
        return redirect("portal:reward-confirm", reward_id=reward_id)
    try:
        outcome = reward_redeem(
            store=None,
            member=request.member,
            reward_id=reward_id,
            idempotency_key=f"portal:{form.cleaned_data['idempotency_key']}",
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("portal:rewards")
    if outcome.body.get("code"):
        messages.success(request, _("Done! Your new code is ready below."))
        return redirect(reverse("portal:codes") + f"?new={outcome.body['code']}")
    messages.success(request, _("Done! The store credit has been added."))
    return redirect("portal:dashboard")


@member_required
def codes_view(request):
    codes = list(codes_for(member=request.member)[:100])
    now = timezone.now()
    unused = [
        code
        for code in codes
        if code.code and code.effective_status(now) == IssuedReward.Status.ISSUED
    ]
    others = [code for code in codes if code.code and code not in unused]
    return render(
        request,
        "portal/codes.html",
        {
            "unused": [(code, images.qr_svg(code.code, scale=3)) for code in unused],
            "others": others,
            "new": request.GET.get("new", ""),
        },
    )


@member_required
def code_detail_view(request, code: str):
    issued = get_object_or_404(
        IssuedReward.objects.select_related("reward"), member=request.member, code=code
    )
    return render(
        request,
        "portal/code_detail.html",
        {"issued": issued, "qr": images.qr_svg(issued.code, scale=8)},
    )


@member_required
@require_http_methods(["GET", "POST"])
def profile_view(request):
    member = request.member
    initial = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "phone": member.phone,
        "birth_date": member.birth_date,
        "language": member.language,
        "preferred_channel": member.preferred_channel,
    }
    form = forms.ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member_update_contact(
                member=member,
                email=data["email"],
                phone=data["phone"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                birth_date=data["birth_date"],
                language=data["language"],
            )
            Member.objects.filter(pk=member.pk).update(preferred_channel=data["preferred_channel"])
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("Your details are saved."))
            response = redirect("portal:profile")
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, data["language"], samesite="Lax")
            return response
    consent_form = forms.ConsentForm(
        initial={
            "email": bool(member.email_consent_at),
            "sms": bool(member.sms_consent_at),
            "whatsapp": bool(member.whatsapp_consent_at),
        }
    )
    return render(
        request,
        "portal/profile.html",
        {
            "form": form,
            "consent_form": consent_form,
            "consent_history": member.consent_changes.all()[:10],
            "has_password": member.user.has_usable_password() if member.user_id else False,
        },
    )


@member_required
@require_POST
def consents_view(request):
    form = forms.ConsentForm(request.POST)
    if form.is_valid():
        for channel in ("email", "sms", "whatsapp"):
            member_consent_set(
                member=request.member,
                channel=channel,
                is_granted=form.cleaned_data[channel],
                source=ConsentChange.Source.PORTAL,
            )
        messages.success(request, _("Your choices are saved."))
    return redirect("portal:profile")


@member_required
@require_http_methods(["GET", "POST"])
def password_view(request):
    form = SetPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        messages.success(request, _("Your password is set. You can still sign in with a link."))
        return redirect("portal:profile")
    return render(request, "portal/password.html", {"form": form})


@member_required
def export_view(request):
    body = json.dumps(export.member_data(request.member), indent=2, ensure_ascii=False, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="my-data-{request.member.card_number}-{stamp}.json"'
    )
    return response


@member_required
@require_http_methods(["GET", "POST"])
def close_view(request):
    form = forms.ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts_portal.closure_request_create(
                member=request.member, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            messages.info(request, str(error.message))
        else:
            messages.success(
                request,
                _("We received your request. We will close your account and confirm by e-mail."),
            )
        return redirect("portal:profile")
    return render(request, "portal/close.html", {"form": form})


@member_required
@require_http_methods(["GET", "POST"])
def survey_view(request):
    due = survey_next_due(request.member)
    form = forms.SurveyForm(request.POST or None)
    if request.method == "POST" and due is None and form.is_valid():
        try:
            survey_answer(member=request.member, **form.cleaned_data)
        except ApplicationError as error:
            messages.info(request, str(error.message))
        else:
            messages.success(request, _("Thank you for your answer!"))
        return redirect("portal:dashboard")
    return render(request, "portal/survey.html", {"form": form, "due": due})
