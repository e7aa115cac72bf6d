"""The member's pages: overview, card, history, rewards and codes."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.replica import reads_from_replica
from rewards.selectors import is_personal_offer
from rewards.services import reward_redeem

from .. import forms, images, selectors
from .common import member_required

HISTORY_PAGE_SIZE = 20

# --- pages ---------------------------------------------------------------------------------


def favicon_view(request):
    """Browsers ask for /favicon.ico where a page names no icon (the admin, JSON answers)."""
    return redirect(static("portal/favicon.svg"), permanent=True)


@member_required
def dashboard_view(request):
    return render(
        request, "portal/dashboard.html", {"page": selectors.dashboard_for(request.member)}
    )


def _card_images(number: str) -> dict:
    return {
        "qr": images.qr_svg(number, label=_("QR code of card %(number)s") % {"number": number}),
        "barcode": images.barcode_svg(
            number, label=_("Barcode of card %(number)s") % {"number": number}
        ),
    }


@member_required
def card_view(request):
    return render(request, "portal/card.html", _card_images(request.member.card_number))


@member_required
def card_scan_view(request):
    """The card alone, large on a white screen, for the till's scanner."""
    return render(request, "portal/card_scan.html", _card_images(request.member.card_number))


@member_required
@reads_from_replica
def history_view(request):
    form = forms.HistoryFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "group": data["kind"] or None,
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    entries = selectors.history_for(member=request.member, **filters)
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/history.html",
        {
            "form": form,
            "page": page,
            "rows": selectors.history_rows(page),
            "query": query.urlencode(),
        },
    )


@member_required
@reads_from_replica
def credit_history_view(request):
    history = selectors.credit_history_for(request.member)
    page = Paginator(history.entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/credit_history.html", {"page": page, "balance": history.balance})


@member_required
def rewards_view(request):
    return render(request, "portal/rewards.html", {"page": selectors.rewards_for(request.member)})


@member_required
def reward_confirm_view(request, reward_id: int):
    form = forms.RedeemForm(initial={"idempotency_key": uuid.uuid4()})
    return render(
        request,
        "portal/reward_confirm.html",
        {"choice": selectors.reward_choice_for(request.member, reward_id), "form": form},
    )


@member_required
@require_POST
def reward_redeem_view(request, reward_id: int):
    form = forms.RedeemForm(request.POST)
    if not form.is_valid():
        return redirect("portal:reward-confirm", reward_id=reward_id)
    try:
        result = reward_redeem(
            store=None,
            member=request.member,
            reward_id=reward_id,
            idempotency_key=f"portal:{form.cleaned_data['idempotency_key']}",
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("portal:rewards")
    code = result.answer.content.decode()
    if code:
        messages.success(request, _("Done! Your new code is ready below."))
        return redirect(reverse("portal:codes") + f"?new={code}")
    messages.success(request, _("Done! The store credit has been added."))
    return redirect("portal:dashboard")


@member_required
def codes_view(request):
    page = selectors.codes_page_for(request.member)
    return render(
        request,
        "portal/codes.html",
        {
            "unused": [
                (code, images.qr_svg(code.code), is_personal_offer(code)) for code in page.unused
            ],
            "others": page.others,
            "new": request.GET.get("new", ""),
        },
    )


@member_required
def code_detail_view(request, code: str):
    issued = selectors.code_for(request.member, code)
    label = _("QR code of code %(code)s") % {"code": issued.display_code}
    return render(
        request,
        "portal/code_detail.html",
        {"issued": issued, "qr": images.qr_svg(issued.code, label=label)},
    )
