"""The member's profile: contact, consent, password, data export, closing, survey and the
satisfaction question."""

import json

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import portal as accounts_portal
from accounts.models import ConsentChange
from accounts.services import member_consents_set, member_update_contact
from campaigns.services import satisfaction_answer, survey_answer
from core.errors import ApplicationError

from .. import export, forms, selectors
from .common import member_required, set_language_cookie


def _profile_initial(member) -> dict:
    return {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "phone": member.phone,
        "birth_date": member.birth_date,
        "language": member.language,
        "preferred_channel": member.preferred_channel,
    }


@member_required
@require_http_methods(["GET", "POST"])
def profile_view(request):
    member = request.member
    form = forms.ProfileForm(request.POST or None, initial=_profile_initial(member))
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
            # The message reads in the language just chosen, as does the page it shows on.
            translation.activate(data["language"])
            messages.success(request, _("Your details are saved."))
            response = redirect("portal:profile")
            set_language_cookie(response, data["language"])
            return response
    return _profile_page(request, form=form)


def _profile_page(request, *, form=None, consent_form=None):
    member = request.member
    if form is None:
        form = forms.ProfileForm(initial=_profile_initial(member))
    if consent_form is None:
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
            "facts": selectors.profile_facts_for(member),
        },
    )


@member_required
@require_POST
def consents_view(request):
    form = forms.ConsentForm(request.POST)
    if form.is_valid():
        try:
            member_consents_set(
                member=request.member,
                choices=form.cleaned_data,
                source=ConsentChange.Source.PORTAL,
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("Your choices are saved."))
            return redirect("portal:profile")
    return _profile_page(request, consent_form=form)


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
    offer = selectors.survey_offer_for(request.member)
    form = forms.SurveyForm(request.POST or None)
    if request.method == "POST" and offer.is_open and form.is_valid():
        try:
            survey_answer(member=request.member, **form.cleaned_data)
        except ApplicationError as error:
            messages.info(request, str(error.message))
        else:
            messages.success(request, _("Thank you for your answer!"))
        return redirect("portal:dashboard")
    return render(request, "portal/survey.html", {"form": form, "offer": offer})


@member_required
@require_http_methods(["GET", "POST"])
def satisfaction_view(request):
    """ "Are you satisfied with your purchase of … at …?" (1–10), about the purchase the link
    names (a message) or else the member's latest unanswered one; one service call."""
    member = request.member
    purchase = selectors.satisfaction_purchase(member, request.GET.get("purchase"))
    form = forms.SatisfactionForm(
        request.POST or None,
        initial={
            "purchase_id": purchase.pk if purchase else None,
            "via": request.GET.get("via")
            if request.GET.get("via") in {"email", "sms", "whatsapp"}
            else "portal",
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            satisfaction_answer(
                member=member,
                purchase_id=form.cleaned_data["purchase_id"],
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                channel=form.cleaned_data["via"],
            )
        except ApplicationError as error:
            if error.field in form.fields:
                form.add_error(error.field, str(error.message))
            else:
                messages.info(request, str(error.message))
                return redirect("portal:dashboard")
        else:
            messages.success(request, _("Thank you for your answer!"))
            return redirect("portal:dashboard")
    return render(request, "portal/satisfaction.html", {"form": form, "purchase": purchase})
