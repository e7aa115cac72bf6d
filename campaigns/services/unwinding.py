"""Unwinding (#18): what a purchase earned through automations (a first-purchase gift, a
referral reward, a stamp card's reward) when the purchase is refunded in full.

Run after the refund commits (outbox job JOB_UNWIND, queued by the refund's receiver), in its
own transaction, so it can lock the deliveries before the point accounts and the codes, in the
documented lock order. Each delivery is unwound once (`unwound_at`, under its row lock):
- not given yet: cancelled (skipped as refunded; fulfilment and sending pass it by);
- bonus points still in the balance: reversed (a negative BONUS entry correcting the bonus);
- a code still unused: revoked;
- points already spent, a code used, store credit given: left, and marked for staff review.
"""

import logging

from django.db import transaction
from django.utils import timezone

from points.models import EntryKind
from points.services import account_lock, ledger_append
from rewards.services import code_revoke_unused

from ..models import Delivery

logger = logging.getLogger(__name__)

JOB_UNWIND = "campaigns.unwind_purchase"
REASON = "purchase refunded in full"


def deliveries_unwind_for_purchase(purchase_id: int) -> dict[str, int]:
    """Unwinds every delivery the purchase triggered; returns how many ended how. Safe to
    repeat: an unwound delivery is passed by."""
    outcomes: dict[str, int] = {}
    now = timezone.now()
    # Inside the outbox job's transaction (the handler is atomic) or a caller's own.
    with transaction.atomic(savepoint=False):
        deliveries = list(
            Delivery.objects.filter(trigger_purchase_id=purchase_id, unwound_at__isnull=True)
            .select_related("bonus_entry", "issued_reward", "automation")
            .order_by("member_id", "pk")
            .select_for_update(of=("self",))
        )
        for delivery in deliveries:
            outcome = _unwind(delivery, now)
            delivery.unwound, delivery.unwound_at = outcome, now
            fields = ["unwound", "unwound_at"]
            if outcome == Delivery.Unwound.CANCELLED:
                delivery.status = Delivery.Status.SKIPPED
                delivery.skip_reason = Delivery.SkipReason.REFUNDED
                delivery.fulfilled_at = now  # nothing to give any more
                fields += ["status", "skip_reason", "fulfilled_at"]
            delivery.save(update_fields=fields)
            if outcome == Delivery.Unwound.REVIEW:
                logger.warning(
                    "Delivery %s: its purchase %s was refunded in full, but what it gave was "
                    "already used; left for staff review.",
                    delivery.pk,
                    purchase_id,
                )
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _unwind(delivery: Delivery, now) -> str:
    if delivery.fulfilled_at is None:
        return Delivery.Unwound.CANCELLED
    used = False
    bonus = delivery.bonus_entry
    if bonus is not None:
        account = account_lock(delivery.member_id)
        if account.balance >= bonus.points:
            ledger_append(
                account,
                kind=EntryKind.BONUS,
                points=-bonus.points,
                corrects=bonus,
                note=f"{delivery.automation.name}: {REASON}"[:200],
            )
        else:
            used = True
    issued = delivery.issued_reward
    if issued is not None and not code_revoke_unused(issued_id=issued.pk, reason=REASON):
        used = True
    return Delivery.Unwound.REVIEW if used else Delivery.Unwound.REVERSED
