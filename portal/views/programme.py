"""What the programme offers the member: ways to earn and spend, tiers, inviting friends."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.services import member_referral_code_ensure
from campaigns.selectors import bonus_offers_for, referral_counts_for, referral_terms
from points.models import LoyaltyProgram
from points.score import score_breakdown_for, score_ways
from points.selectors import (
    activity_types_open,
    earning_ways_in_force,
    member_summary_get,
    points_money_value,
    tier_progress_percent,
)
from points.tiers import tiers_all
from rewards.selectors import catalogue_for, tier_benefits

from .common import member_required

# The euro value shown as an example on the "ways to earn and spend" page.
EXAMPLE_POINTS = 100


@member_required
def earn_view(request):
    member = request.member
    summary = member_summary_get(member=member)
    program = LoyaltyProgram.current()
    return render(
        request,
        "portal/earn.html",
        {
            "summary": summary,
            "ways": earning_ways_in_force(),
            "tiers": [tier for tier in tiers_all() if tier.earn_multiplier > 1],
            "bonus_offers": bonus_offers_for(
                member=member, tier_id=summary.account.tier_id if summary.account else None
            ),
            "activities": activity_types_open(),
            "catalogue": catalogue_for(member=member, account=summary.account, personal_first=True),
            "example_points": EXAMPLE_POINTS,
            "example_value": points_money_value(EXAMPLE_POINTS, program=program),
            "expire_months": program.points_expire_after_months,
            "referral": referral_terms(),
            "score": score_breakdown_for(member_id=member.pk),
            "score_ways": score_ways(),
        },
    )


@member_required
def tiers_view(request):
    summary = member_summary_get(member=request.member)
    return render(
        request,
        "portal/tiers.html",
        {
            "summary": summary,
            "progress": tier_progress_percent(summary.tier),
            "rows": tier_benefits(account=summary.account),
            "window_months": LoyaltyProgram.current().qualifying_window_months,
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def referral_view(request):
    member = request.member
    if request.method == "POST":  # a member from before referral codes asks for one
        member_referral_code_ensure(member=member)
        return redirect("portal:referral")
    code = member.referral_code or ""
    share_url = (
        request.build_absolute_uri(reverse("portal:signup") + f"?ref={code}") if code else ""
    )
    return render(
        request,
        "portal/referral.html",
        {
            "code": code,
            "share_url": share_url,
            "terms": referral_terms(),
            "counts": referral_counts_for(member=member),
        },
    )
