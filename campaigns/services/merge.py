"""Merging two members into one: the duplicate's points, store credit, codes, purchases,
activities, deliveries, survey answers, referrals and consents move to the survivor, and the
duplicate's card keeps working as an alias of the survivor's (docs/architecture.md, "Merging
two members").

Here, in campaigns, because it is the lowest app that sees every table a member owns; each
app's part is a function of its own services, called in the lock order.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Member
from accounts.services import staff_action_record
from accounts.services.merge import (
    member_merge_check,
    members_lock_for_merge,
    members_merge_rows,
)
from core import webhooks
from core.errors import InvalidInput
from core.money import money_str
from points.services.merge import point_accounts_lock_pair, points_merge, points_merge_check
from rewards.services.merge import rewards_merge

from ..models import Delivery, SurveyResponse
from .conversions import window_revenue_refresh


@dataclass(frozen=True)
class MergeResult:
    survivor: Member
    duplicate: Member
    points: int
    store_credit: Decimal
    counts: dict


def _deliveries_merge(*, duplicate: Member, survivor: Member) -> tuple[int, int]:
    """Re-points the duplicate's deliveries (step 2 of the lock order, before any point
    account), except one for an automation and period the survivor already has (one per
    member and period: the survivor's stays, the duplicate's remains as history).

    First locks all deliveries of both members, in one statement in member and pk order (step
    2): the ones it moves, and the converted ones whose window revenue is recounted once the
    purchases have moved (after the point accounts). Locking only the converted ones first let
    the `UPDATE` below take the duplicate's others later, out of order, and deadlock with a
    purchase whose lock prelude holds one of them and waits for another."""
    list(
        Delivery.objects.filter(member__in=[duplicate, survivor])
        .order_by("member_id", "pk")
        .select_for_update(no_key=True)
        .values_list("pk", flat=True)
    )
    theirs = set(
        Delivery.objects.filter(member=survivor).values_list("automation_id", "period_key")
    )
    kept = [
        pk
        for pk, automation_id, period in Delivery.objects.filter(member=duplicate)
        .order_by("pk")
        .values_list("pk", "automation_id", "period_key")
        if (automation_id, period) in theirs
    ]
    moved = Delivery.objects.filter(member=duplicate).exclude(pk__in=kept).update(member=survivor)
    return moved, len(kept)


def member_merge(*, duplicate: Member, survivor: Member, reason: str, actor: User) -> MergeResult:
    """Merges `duplicate` into `survivor`: one transaction, one audit row (`merge_member`, on
    the survivor), one `member.merged` webhook. Afterwards the duplicate has status "merged"
    and `merged_into` the survivor, earns and redeems nothing, and its card number finds the
    survivor at the till (a `CardAlias`).

    Locks, in the documented order: both members (pk order), the duplicate's deliveries, both
    point accounts (pk order), purchases and codes (by their UPDATE), both store-credit
    accounts (pk order). A purchase or redemption on the duplicate's card waits for the merge
    (and then lands on the survivor, through the alias) or commits before it (and is moved).
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A reason is required."), code="reason_required", field="reason")
    # Checked before the transaction too, so a refusal leaves the caller's transaction usable.
    member_merge_check(duplicate=duplicate, survivor=survivor)
    points_merge_check(duplicate=duplicate)
    with transaction.atomic(savepoint=False):
        duplicate, survivor = members_lock_for_merge(duplicate=duplicate, survivor=survivor)
        deliveries, deliveries_kept = _deliveries_merge(duplicate=duplicate, survivor=survivor)
        duplicate_account, survivor_account = point_accounts_lock_pair(
            duplicate=duplicate, survivor=survivor
        )
        points_before = survivor_account.balance
        points = points_merge(
            duplicate_account=duplicate_account,
            survivor_account=survivor_account,
            duplicate=duplicate,
            survivor=survivor,
            actor=actor,
            reason=reason,
        )
        rewards = rewards_merge(duplicate=duplicate, survivor=survivor, actor=actor, reason=reason)
        surveys = SurveyResponse.objects.filter(member=duplicate).update(member=survivor)
        # The purchases moved with the deliveries: recount what each window holds (rows locked
        # by `_deliveries_merge`; a delivery converted meanwhile waits for the point accounts).
        window_revenue_refresh(Delivery.objects.filter(member__in=[duplicate, survivor]))
        # Last: it writes unique columns of the members (see `members_lock_for_merge`).
        rows = members_merge_rows(duplicate=duplicate, survivor=survivor, actor=actor)
        counts = {
            **points,
            "store_credit": money_str(rewards["store_credit"]),
            "codes": rewards["codes"],
            "deliveries": deliveries,
            "deliveries_kept": deliveries_kept,
            "survey_answers": surveys,
            **rows,
        }
        staff_action_record(
            actor=actor,
            action="merge_member",
            member=survivor,
            reason=reason,
            before={
                "duplicate_card": duplicate.card_number,
                "duplicate_id": duplicate.pk,
                "points_balance": points_before,
            },
            after={"points_balance": survivor_account.balance, **counts},
        )
        webhooks.emit(
            "member.merged",
            {
                "card_number": survivor.card_number,
                "merged_member_id": duplicate.pk,
                "merged_card_number": duplicate.card_number,
            },
            member_id=survivor.pk,
        )
    return MergeResult(
        survivor=survivor,
        duplicate=duplicate,
        points=points["points"],
        store_credit=rewards["store_credit"],
        counts=counts,
    )
