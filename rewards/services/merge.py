"""The rewards part of merging two members: codes re-pointed, store credit moved through both
credit ledgers. Called by `campaigns.services.member_merge` only, after the point accounts are
locked (codes are step 5 of the lock order, store-credit accounts step 7)."""

from decimal import Decimal

from django.contrib.auth.models import User

from accounts.models import Member
from core.queries import lock_or_create

from ..models import IssuedReward, StoreCreditAccount, StoreCreditEntry
from .credit import credit_append


def rewards_merge(*, duplicate: Member, survivor: Member, actor: User, reason: str) -> dict:
    """Every issued reward of the duplicate (codes, used or not, and store-credit rewards)
    belongs to the survivor from now on: a code the duplicate holds works for the survivor.
    The duplicate's store credit leaves its ledger in one MERGE_OUT and arrives on the
    survivor's in one MERGE_IN (both credit accounts locked in pk order). Returns counts."""
    codes = IssuedReward.objects.filter(member=duplicate).update(member=survivor)
    credit = Decimal("0.00")
    if StoreCreditAccount.objects.filter(member=duplicate).exists():
        lock_or_create(StoreCreditAccount, member_id=survivor.pk)  # exists, or new: unheld
        accounts = {
            account.member_id: account
            for account in StoreCreditAccount.objects.select_for_update(no_key=True)
            .filter(member_id__in=[duplicate.pk, survivor.pk])
            .order_by("pk")
        }
        theirs, ours = accounts[duplicate.pk], accounts[survivor.pk]
        credit = theirs.balance
        if credit > 0:
            note = f"{duplicate.card_number} → {survivor.card_number}"
            credit_append(
                theirs,
                kind=StoreCreditEntry.Kind.MERGE_OUT,
                amount=-credit,
                reason=f"{reason} ({note})",
                staff_user=actor,
            )
            credit_append(
                ours,
                kind=StoreCreditEntry.Kind.MERGE_IN,
                amount=credit,
                reason=f"{reason} ({note})",
                staff_user=actor,
            )
    return {"codes": codes, "store_credit": credit}
