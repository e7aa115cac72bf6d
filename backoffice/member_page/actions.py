"""The staff actions on a member: a form, the permission it needs, the service it calls."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from accounts.models import Erasure, Member
from accounts.services import member_erase, member_set_status
from campaigns.selectors import merge_side
from campaigns.services import delivery_resend_by_staff
from campaigns.services.merge import member_merge
from core.money import money_display
from points.models import PointAccount
from points.selectors import member_get_by_card
from points.services import points_adjust
from rewards.selectors import store_credit_balance
from rewards.services import code_revoke, reward_grant, store_credit_adjust

from ..forms import (
    CodeRevokeForm,
    DeliveryResendForm,
    EraseForm,
    MergeForm,
    PointsAdjustmentForm,
    ReasonForm,
    RewardGrantForm,
    StoreCreditAdjustmentForm,
)


@dataclass(frozen=True)
class BalancePreview:
    """The balance before and after an adjustment, shown above its form (and, as staff type,
    updated by static/backoffice/balance_preview.js)."""

    kind: str  # "points" or "credit"
    raw: int | Decimal  # for the script
    now: str  # formatted for the reader
    after: str  # formatted; "" until the form holds a valid change
    field_id: str


def _points_preview(member: Member, form: forms.Form) -> BalancePreview:
    balance = PointAccount.objects.filter(member=member).values_list("balance", flat=True).first()
    balance = balance or 0

    def shown(points: int) -> str:
        text = number_format(points, 0, use_l10n=True, force_grouping=True)
        return f"{text} {gettext_now('points')}"

    change = form.cleaned_data.get("points") if form.is_bound and form.is_valid() else None
    after = shown(balance + change) if change is not None else ""
    return BalancePreview("points", balance, shown(balance), after, form["points"].auto_id)


def _credit_preview(member: Member, form: forms.Form) -> BalancePreview:
    balance = store_credit_balance(member=member)
    change = form.cleaned_data.get("amount") if form.is_bound and form.is_valid() else None
    after = money_display(balance + change) if change is not None else ""
    return BalancePreview("credit", balance, money_display(balance), after, form["amount"].auto_id)


@dataclass(frozen=True)
class MemberAction:
    """A staff action on one member: a form, the permission it needs, the service it calls."""

    slug: str
    title: Any
    permission: str
    form_class: type[forms.Form]
    run: Any  # (member, cleaned_data, user) -> None
    done_message: Any
    is_available: Callable[[Member], bool] = lambda member: True
    preview: Callable[[Member, forms.Form], BalancePreview] | None = None
    template: str = "admin/accounts/member/action.html"
    # More for the page, read before the action runs (the merge's two members side by side).
    context: Callable[[Member, forms.Form], dict] | None = None


def _merge_context(member: Member, form: forms.Form) -> dict:
    if not form.is_bound:
        return {}
    form.is_valid()  # cleans the form, which finds the member to keep
    survivor = getattr(form, "survivor", None)
    if survivor is None:
        return {}
    return {"duplicate_side": merge_side(member), "survivor_side": merge_side(survivor)}


MEMBER_ACTIONS = [
    MemberAction(
        "adjust-points",
        _("Adjust points"),
        "points.adjust_points",
        PointsAdjustmentForm,
        lambda member, data, user: points_adjust(
            member=member,
            points=data["points"],
            reason=data["reason"],
            counts_for_tier=data["counts_for_tier"],
            actor=user,
        ),
        _("Points adjusted."),
        preview=_points_preview,
    ),
    MemberAction(
        "adjust-store-credit",
        _("Adjust store credit"),
        "rewards.grant_reward",
        StoreCreditAdjustmentForm,
        lambda member, data, user: store_credit_adjust(
            member=member, amount=data["amount"], reason=data["reason"], actor=user
        ),
        _("Store credit adjusted."),
        preview=_credit_preview,
    ),
    MemberAction(
        "grant-reward",
        _("Grant a reward"),
        "rewards.grant_reward",
        RewardGrantForm,
        lambda member, data, user: reward_grant(
            member=member, reward=data["reward"], reason=data["reason"], actor=user
        ),
        _("Reward granted."),
    ),
    MemberAction(
        "revoke-code",
        _("Revoke a code"),
        "rewards.revoke_code",
        CodeRevokeForm,
        lambda member, data, user: code_revoke(
            issued=data["code"], reason=data["reason"], actor=user
        ),
        _("Code revoked."),
    ),
    MemberAction(
        "resend-message",
        _("Send a message again"),
        "campaigns.resend_delivery",
        DeliveryResendForm,
        lambda member, data, user: delivery_resend_by_staff(
            delivery=data["delivery"], reason=data["reason"], actor=user
        ),
        _("The message is queued again."),
    ),
    MemberAction(
        "block",
        _("Block member"),
        "accounts.block_member",
        ReasonForm,
        lambda member, data, user: member_set_status(
            member=member, status=Member.Status.BLOCKED, reason=data["reason"], actor=user
        ),
        _("Member blocked: no earning, redeeming or messages until unblocked."),
        is_available=lambda member: member.status == Member.Status.ACTIVE,
    ),
    MemberAction(
        "unblock",
        _("Unblock member"),
        "accounts.block_member",
        ReasonForm,
        lambda member, data, user: member_set_status(
            member=member, status=Member.Status.ACTIVE, reason=data["reason"], actor=user
        ),
        _("Member unblocked."),
        # An erased member stays blocked: nobody is behind the card any more.
        is_available=lambda member: (
            member.status == Member.Status.BLOCKED
            and not Erasure.objects.filter(member=member).exists()
        ),
    ),
    MemberAction(
        "erase",
        _("Erase personal data"),
        "accounts.erase_member",
        EraseForm,
        lambda member, data, user: member_erase(
            member=member, actor=user, reason=data["reason"], via=Erasure.Via.STAFF
        ),
        _("The member's personal data is erased; the points history stays, anonymous."),
        is_available=lambda member: not Erasure.objects.filter(member=member).exists(),
    ),
    MemberAction(
        "merge",
        _("Merge into another member"),
        "accounts.merge_member",
        MergeForm,
        lambda member, data, user: member_merge(
            duplicate=member,
            survivor=member_get_by_card(data["survivor_card"], field="survivor_card"),
            reason=data["reason"],
            actor=user,
        ),
        _("The members are merged; this card now finds the member kept."),
        is_available=lambda member: (
            member.status != Member.Status.MERGED
            and not Erasure.objects.filter(member=member).exists()
        ),
        template="admin/accounts/member/merge.html",
        context=_merge_context,
    ),
]


def actions_for(user, member: Member) -> list[MemberAction]:
    if member.status == Member.Status.MERGED:
        return []  # nothing is left on a merged member: its page says where it went
    return [
        action
        for action in MEMBER_ACTIONS
        if user.has_perm(action.permission) and action.is_available(member)
    ]
