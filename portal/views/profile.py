"""The member's profile: contact, consent, password, data export, closing, survey."""

import json

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import portal as accounts_portal
from accounts.models import ConsentChange
from accounts.services import member_consent_set, member_update_contact
from campaigns.services import survey_answer, survey_next_due
from core.errors import ApplicationError

from .. import export, forms
from .common import member_required, set_language_cookie


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
                preferred_channel=data["preferred_channel"],
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("Your details are saved."))
            response = redirect("portal:profile")
            set_language_cookie(response, data["language"])
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
