"""The member page's summary and history sections: the latest rows of each, with a link to all."""

from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import staff_action_sentence
from accounts.models import Member
from accounts.selectors import consent_changes_for, staff_actions_for
from campaigns import lifecycle
from campaigns.models import MemberStats
from campaigns.selectors import deliveries_for, survey_answers_for
from points.extensions import stamp_cards_for
from points.models import LoyaltyProgram
from points.score import score_breakdown_for, score_of
from points.selectors import (
    activities_for,
    entry_description,
    ledger_entries_for,
    points_money_value,
    purchase_totals_by_store,
    purchases_for,
    tier_changes_for,
)
from rewards.selectors import (
    code_status_counts,
    codes_for,
    store_credit_balance,
    store_credit_entries_for,
)

ROWS_SHOWN = 100  # ledger lines
SECTION_ROWS = 25  # rows of every other history section


@dataclass(frozen=True)
class MemberSection:
    slug: str
    title: Any
    html: str


def _changelist(model_name: str, member: Member) -> str:
    return reverse(f"admin:{model_name}_changelist") + f"?q={member.card_number}"


def _stats_of(member: Member) -> MemberStats | None:
    try:
        return member.stats
    except MemberStats.DoesNotExist:
        return None


def member_summary(request, member: Member) -> str:
    stats = _stats_of(member)
    account = getattr(member, "point_account", None)
    program = LoyaltyProgram.current()
    referrals = member.referrals.count()
    purchases = stats.purchase_count if stats else 0
    now = timezone.now()
    last_purchase_at = stats.last_purchase_at if stats else None
    days_since = (now - last_purchase_at).days if last_purchase_at else None
    activity = lifecycle.activity_status(
        last_purchase_at=last_purchase_at, now=now, days=program.dormant_after_days
    ).label
    balance = account.balance if account else 0
    return render_to_string(
        "admin/accounts/member/summary.html",
        {
            "member": member,
            "account": account,
            "stats": stats,
            "balance": balance,
            "points_value": points_money_value(balance, program=program),
            "store_credit": store_credit_balance(member=member),
            "days_since": days_since,
            "activity": activity,
            "dormant_after_days": program.dormant_after_days,
            "stage": lifecycle.STAGE_LABELS[
                lifecycle.ladder_stage(purchases=purchases, has_referred=referrals > 0)
            ],
            "referrals": referrals,
            "loyalty_score": score_of(member.pk, now=now),
        },
        request=request,
    )


def _ledger(request, member: Member) -> str:
    entries = list(ledger_entries_for(member=member)[:ROWS_SHOWN])
    return render_to_string(
        "admin/accounts/member/ledger.html",
        {
            # When it counts (a purchase: when it was made), and when it was booked if that
            # was another day (a till that sent its purchases late, a correction).
            "entries": [
                (
                    entry,
                    entry_description(entry),
                    timezone.localdate(entry.created_at) != timezone.localdate(entry.effective_at),
                )
                for entry in entries
            ],
            "shown": ROWS_SHOWN,
            "all_url": _changelist("points_pointsentry", member),
        },
    )


def _score(request, member: Member) -> str:
    """The loyalty score by kind of activity, with a bar each, and the stamp cards."""
    score = score_breakdown_for(member_id=member.pk)
    return render_to_string(
        "admin/accounts/member/score.html",
        {
            "score": score,
            # A bar chart: one bar per kind, its length the share of the total (SVG units).
            "bars": [
                {"line": line, "y": index * 12, "width": max(1, line.share * 3)}
                for index, line in enumerate(score.lines)
            ],
            "chart_height": len(score.lines) * 12,
            "stamp_cards": stamp_cards_for(member),
            "entries_url": _changelist("points_scoreentry", member),
        },
        request=request,
    )


def _tier_history(request, member: Member) -> str:
    return render_to_string(
        "admin/accounts/member/tier_history.html",
        {
            "changes": tier_changes_for(member=member)[:SECTION_ROWS],
            "all_url": _changelist("points_tierchange", member),
        },
    )


def _codes(request, member: Member) -> str:
    return render_to_string(
        "admin/accounts/member/codes.html",
        {
            "codes": codes_for(member=member)[:SECTION_ROWS],
            "counts": code_status_counts(member=member),
            "member": member,
            "can_revoke": request.user.has_perm("rewards.revoke_code"),
            "all_url": _changelist("rewards_issuedreward", member),
        },
        request=request,
    )


def _credit(request, member: Member) -> str:
    return render_to_string(
        "admin/accounts/member/credit.html",
        {
            "entries": store_credit_entries_for(member=member)[:SECTION_ROWS],
            "all_url": _changelist("rewards_storecreditentry", member),
        },
    )


def _purchases(request, member: Member) -> str:
    return render_to_string(
        "admin/accounts/member/purchases.html",
        {
            "purchases": purchases_for(member=member)[:SECTION_ROWS],
            "by_store": purchase_totals_by_store(member=member),
            "all_url": _changelist("points_purchase", member),
        },
    )


def _activities(request, member: Member) -> str:
    return render_to_string(
        "admin/accounts/member/activities.html",
        {
            "activities": activities_for(member=member)[:SECTION_ROWS],
            "all_url": _changelist("points_activity", member),
        },
    )


def _deliveries(request, member: Member) -> str:
    return render_to_string(
        "admin/accounts/member/deliveries.html",
        {
            "deliveries": deliveries_for(member=member)[:SECTION_ROWS],
            "member": member,
            "can_resend": request.user.has_perm("campaigns.resend_delivery"),
            "all_url": _changelist("campaigns_delivery", member),
        },
        request=request,
    )


def _surveys(request, member: Member) -> str:
    return render_to_string(
        "admin/accounts/member/surveys.html",
        {
            "answers": survey_answers_for(member=member)[:SECTION_ROWS],
            "all_url": _changelist("campaigns_surveyresponse", member),
        },
    )


def _consent_history(request, member: Member) -> str:
    return render_to_string(
        "admin/accounts/member/consent_history.html",
        {
            "changes": consent_changes_for(member=member)[:SECTION_ROWS],
            "all_url": _changelist("accounts_consentchange", member),
            "csv_url": reverse("admin:accounts_member_consent_csv", args=[member.pk]),
        },
    )


def _audit_trail(request, member: Member) -> str:
    actions = staff_actions_for(member=member)[:SECTION_ROWS]
    return render_to_string(
        "admin/accounts/member/staff_actions.html",
        {
            "actions": [(action, staff_action_sentence(action)) for action in actions],
            "all_url": _changelist("accounts_staffaction", member),
        },
    )


# (slug, title, renderer, permission needed to see it, or None)
SECTIONS = [
    ("score", _("Loyalty score and stamp cards"), _score, None),
    ("points", _("Points ledger"), _ledger, None),
    ("tiers", _("Tier history"), _tier_history, None),
    ("codes", _("Codes"), _codes, None),
    ("credit", _("Store credit"), _credit, None),
    ("purchases", _("Purchases and refunds"), _purchases, None),
    ("activities", _("Activities"), _activities, None),
    ("deliveries", _("Automations received"), _deliveries, None),
    ("surveys", _("Survey answers"), _surveys, None),
    ("consent", _("Consent history"), _consent_history, None),
    ("audit", _("Staff actions (audit trail)"), _audit_trail, "accounts.view_staffaction"),
]


def member_sections(request, member: Member) -> list[MemberSection]:
    return [
        MemberSection(slug, title, render(request, member))
        for slug, title, render, permission in SECTIONS
        if permission is None or request.user.has_perm(permission)
    ]
