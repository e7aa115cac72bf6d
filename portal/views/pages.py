"""The member's pages: overview, card, history, rewards and codes."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.services import survey_next_due
from core.errors import ApplicationError
from points.selectors import (
    entry_description,
    ledger_entries_for,
    member_summary_get,
    points_money_value,
    tier_progress_percent,
)
from rewards.models import IssuedReward, Reward
from rewards.selectors import (
    catalogue_for,
    codes_for,
    is_personal_offer,
    next_reward_for,
    personal_offers_for,
    savings_for,
    store_credit_balance,
    store_credit_entries_for,
    unused_codes_for,
)
from rewards.services import reward_redeem

from .. import charts, forms, images
from .common import member_required

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
    return render(
        request,
        "portal/dashboard.html",
        {
            "summary": summary,
            "entries": [(entry, entry_description(entry)) for entry in entries],
            "store_credit": store_credit_balance(member=member),
            "progress": tier_progress_percent(summary.tier),
            "unlocks": unlocks,
            "chart": charts.monthly_points_chart(member),
            "survey_due": survey_next_due(member) is None,
            "unused_codes": unused_codes_for(member=member).count(),
            "balance_value": points_money_value(max(0, summary.points_balance)),
            "next_reward": next_reward_for(
                catalogue=catalogue_for(member=member, account=summary.account),
                balance=summary.points_balance,
            ),
            "savings": savings_for(member=member),
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
        entries = ledger_entries_for(
            member=request.member,
            group=data["kind"] or None,
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
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
    page = Paginator(store_credit_entries_for(member=request.member), 20).get_page(
        request.GET.get("page")
    )
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
            "offers": personal_offers_for(member=request.member),
            "catalogue": catalogue_for(
                member=request.member, account=summary.account, personal_first=True
            ),
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
    # Personal offers (given by a campaign, a tier or staff) first; stable, so newest first stays.
    unused.sort(key=lambda code: not is_personal_offer(code))
    others = [code for code in codes if code.code and code not in unused]
    return render(
        request,
        "portal/codes.html",
        {
            "unused": [
                (code, images.qr_svg(code.code, scale=3), is_personal_offer(code))
                for code in unused
            ],
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
