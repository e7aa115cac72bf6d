"""Issuing rewards: codes, credit, stock; staff grants and revocations; expiring codes."""

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member
from accounts.services import staff_action_record
from core.errors import ApplicationError, Conflict, InvalidInput
from points.models import EntryKind, PointsEntry
from points.services import account_lock, ledger_append

from ..budgets import codes_budget_settle
from ..codes import generate_code
from ..models import IssuedReward, Reward, StoreCreditEntry
from .credit import credit_account_lock, credit_append

logger = logging.getLogger(__name__)


class OutOfStock(Conflict):
    code = "out_of_stock"


class RewardUnavailable(ApplicationError):
    status_code = 404
    code = "reward_not_found"


def _take_from_stock(reward: Reward) -> None:
    if reward.stock is None:
        return
    # A conditional decrement: parallel issues cannot take the stock below zero.
    taken = Reward.objects.filter(pk=reward.pk, stock__gt=0).update(stock=F("stock") - 1)
    if not taken:
        raise OutOfStock(_("This reward is out of stock."), field="reward_id")


def _save_with_fresh_code(issued: IssuedReward) -> None:
    for _attempt in range(5):
        issued.code = generate_code()
        try:
            with transaction.atomic(savepoint=True):
                issued.save()
            return
        except IntegrityError:
            continue  # a collision in 2**60 codes; try another
    raise RuntimeError("Could not find a free reward code after 5 attempts")


def reward_issue(
    *,
    member: Member,
    reward: Reward,
    source: str,
    points_spent: int = 0,
    points_entry: PointsEntry | None = None,
    source_reference: str = "",
    validity_days: int | None = None,
    now: datetime.datetime | None = None,
) -> IssuedReward:
    """Issues one reward to a member inside the caller's transaction.

    Takes one from stock (refusing when sold out). A code reward gets a fresh code; a store
    credit reward adds its value to the member's credit at once and is marked used.
    """
    now = now or timezone.now()
    _take_from_stock(reward)
    issued = IssuedReward(
        reward=reward,
        member=member,
        source=source,
        value=reward.value,
        minimum_spend=reward.minimum_spend,
        points_spent=points_spent,
        points_entry=points_entry,
        source_reference=source_reference,
        issued_at=now,
        expires_at=now + datetime.timedelta(days=validity_days or reward.validity_days),
    )
    if reward.gives_code:
        _save_with_fresh_code(issued)
        return issued
    issued.status, issued.used_at = IssuedReward.Status.USED, now
    issued.save()
    credit_append(
        credit_account_lock(member.pk),
        kind=StoreCreditEntry.Kind.REWARD,
        amount=reward.value,
        issued_reward=issued,
    )
    return issued


_BULK_COLUMNS = (
    "reward_id, member_id, code, status, source, value, minimum_spend, points_spent, "
    "source_reference, issued_at, expires_at, revoked_reason, budget_owner, budget_periods, "
    "budget_cost"
)


def codes_issue_bulk(
    *,
    reward: Reward,
    member_ids: list[int],
    source: str,
    source_reference: str,
    issued_at: datetime.datetime,
    expires_at: datetime.datetime,
    budget_owner: str = "",
    budget_periods: tuple[str, ...] = (),
    budget_cost: Decimal = Decimal("0.00"),
    chunk: int = 5000,
) -> list[tuple[int, int]]:
    """Issues one code of `reward` to each member, inside the caller's transaction; returns
    (member id, issued reward id) pairs. `budget_*`: the euro budget that reserved each code's
    cost, recorded on the codes (`rewards.budgets`).

    For campaigns reaching many members at once: no model instances (stock is the caller's
    business). On PostgreSQL one INSERT … SELECT FROM unnest(arrays) per chunk, elsewhere a
    multi-row INSERT. A code collision (2**60 codes) redraws that chunk.
    """
    table = IssuedReward._meta.db_table
    issued = connection.ops.adapt_datetimefield_value(issued_at)
    expires = connection.ops.adapt_datetimefield_value(expires_at)
    constant = [
        IssuedReward.Status.ISSUED,
        source,
        reward.value,
        reward.minimum_spend,
        0,
        source_reference,
        issued,
        expires,
        "",
        budget_owner,
        " ".join(budget_periods),
        budget_cost,
    ]
    postgres = connection.vendor == "postgresql"
    size = chunk if postgres else 1000
    issued_ids: list[tuple[int, int]] = []
    for start in range(0, len(member_ids), size):
        part = member_ids[start : start + size]
        for _attempt in range(3):
            codes = [generate_code() for _ in part]
            if postgres:
                sql = (
                    f"INSERT INTO {table} ({_BULK_COLUMNS}) SELECT %s, member_id, code, "
                    "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s "
                    "FROM unnest(%s::bigint[], %s::text[]) AS issued (member_id, code) "
                    "RETURNING member_id, id"
                )
                params: list[Any] = [reward.pk, *constant, part, codes]
            else:
                row = "(" + ", ".join(["%s"] * 15) + ")"
                sql = (
                    f"INSERT INTO {table} ({_BULK_COLUMNS}) VALUES "
                    + ", ".join([row] * len(part))
                    + " RETURNING member_id, id"
                )
                params = []
                for member_id, code in zip(part, codes, strict=True):
                    params.extend([reward.pk, member_id, code, *constant])
            try:
                with transaction.atomic(savepoint=True), connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    issued_ids.extend(cursor.fetchall())
                break
            except IntegrityError:
                continue
        else:
            raise RuntimeError("could not draw unique codes")
    return issued_ids


def reward_grant(*, member: Member, reward: Reward, actor: User, reason: str) -> IssuedReward:
    """Staff give a reward for free, with a reason (audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A reason is required."), code="reason_required", field="reason")
    with transaction.atomic(savepoint=False):
        issued = reward_issue(member=member, reward=reward, source=IssuedReward.Source.STAFF)
        staff_action_record(
            actor=actor,
            action="grant_reward",
            member=member,
            reason=reason,
            after={
                "reward": reward.pk,
                "reward_name": str(reward),  # the audit trail's sentence names it
                "issued_reward": issued.pk,
                "code": issued.code or "",
            },
        )
    return issued


def code_revoke(*, issued: IssuedReward, actor: User, reason: str) -> IssuedReward:
    """Revokes an unused code. Points paid for it go back to the member (a new entry)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A reason is required."), code="reason_required", field="reason")
    with transaction.atomic(savepoint=False):
        account = account_lock(issued.member_id)
        issued = IssuedReward.objects.select_for_update().get(pk=issued.pk)
        if issued.status != IssuedReward.Status.ISSUED:
            raise Conflict(
                _("Only unused codes can be revoked (this one is %(status)s).")
                % {"status": issued.get_status_display()},
                code="code_not_revocable",
            )
        issued.status = IssuedReward.Status.REVOKED
        issued.revoked_at, issued.revoked_by, issued.revoked_reason = timezone.now(), actor, reason
        issued.save(update_fields=["status", "revoked_at", "revoked_by", "revoked_reason"])
        codes_budget_settle([(issued.pk, Decimal("0.00"))])  # its reservation given back
        if issued.points_spent:
            ledger_append(
                account,
                kind=EntryKind.REDEMPTION_REVERSAL,
                points=issued.points_spent,
                corrects=issued.points_entry,
                staff_user=actor,
                reason=reason,
                note=str(issued.reward),
            )
        staff_action_record(
            actor=actor,
            action="revoke_code",
            member=issued.member,
            reason=reason,
            before={"code": issued.code, "status": IssuedReward.Status.ISSUED},
            after={"status": IssuedReward.Status.REVOKED, "points_returned": issued.points_spent},
        )
    return issued


def code_revoke_unused(*, issued_id: int, reason: str) -> bool:
    """Revokes a code if it is still unused (the system's revoking, e.g. after a refund);
    returns whether it did. Locks the issued reward; call inside a transaction, after any
    point account lock (docs/architecture.md, lock order)."""
    issued = IssuedReward.objects.select_for_update().get(pk=issued_id)
    if issued.status != IssuedReward.Status.ISSUED or not issued.code:
        return False
    issued.status = IssuedReward.Status.REVOKED
    issued.revoked_at, issued.revoked_reason = timezone.now(), reason
    issued.save(update_fields=["status", "revoked_at", "revoked_reason"])
    codes_budget_settle([(issued.pk, Decimal("0.00"))])  # its reservation given back
    return True


def codes_expire_due(*, now: datetime.datetime | None = None, batch_size: int = 5000) -> int:
    """Marks codes past their date as expired, a batch at a time. Returns how many.

    Codes are locked in primary-key order, the order a checkout locks them in, so this job and
    a till never deadlock; a code a till holds (a checkout between validating and using it) is
    skipped rather than waited for: the till decides it, and the next run expires it if it is
    still unused.
    """
    now = now or timezone.now()
    due = IssuedReward.objects.filter(status=IssuedReward.Status.ISSUED, expires_at__lte=now)
    expired = 0
    while True:
        with transaction.atomic(durable=True):
            ids = list(
                due.order_by("pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:batch_size]
            )
            expired += IssuedReward.objects.filter(pk__in=ids).update(
                status=IssuedReward.Status.EXPIRED
            )
            # Unused: what budgets reserved for them goes back (after the codes, lock order).
            codes_budget_settle(
                (pk, Decimal("0.00"))
                for pk in IssuedReward.objects.filter(pk__in=ids, budget_cost__gt=0)
                .exclude(budget_owner="")
                .values_list("pk", flat=True)
            )
        if len(ids) < batch_size:
            return expired


def tier_gifts_issue(*, member: Member, tier) -> list[IssuedReward]:
    """Gifts for reaching a tier; a sold-out gift is skipped, not an error for the earning."""
    issued = []
    for reward in Reward.objects.available().filter(gift_for_tier=tier):
        try:
            with transaction.atomic(savepoint=True):
                issued.append(
                    reward_issue(
                        member=member,
                        reward=reward,
                        source=IssuedReward.Source.TIER_GIFT,
                        source_reference=f"tier:{tier.pk}",
                    )
                )
        except OutOfStock:
            logger.warning("Tier gift %s is out of stock; member %s got none", reward.pk, member.pk)
    return issued
