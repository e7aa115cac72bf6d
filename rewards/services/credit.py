"""Store credit: a money balance per member with its own append-only ledger, never below zero."""

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member
from accounts.services import staff_action_record
from core.errors import ApplicationError, InvalidInput
from core.money import money_display, money_str
from core.queries import lock_or_create

from ..models import StoreCreditAccount, StoreCreditEntry


class InsufficientStoreCredit(ApplicationError):
    code = "insufficient_store_credit"


def credit_account_lock(member_id: int) -> StoreCreditAccount:
    """Locks (creating if needed) the member's store credit row. Call inside a transaction."""
    return lock_or_create(StoreCreditAccount, member_id=member_id)


def credit_append(
    account: StoreCreditAccount, *, kind: str, amount: Decimal, reason: str = "", **links
) -> StoreCreditEntry:
    """Appends one entry and moves the balance with it; `account` must be locked.

    The balance is computed here in Decimal, not with F(): SQLite would add floats.
    """
    if amount == 0:
        raise ValueError("a store credit entry moves a non-zero amount")
    balance_after = account.balance + amount
    if balance_after < 0:
        raise InsufficientStoreCredit(
            _("Not enough store credit: %(balance)s available.")
            % {"balance": money_display(account.balance)},  # for people, in their language
            field="store_credit",
            extra={"store_credit_available": money_str(account.balance)},
        )
    entry = StoreCreditEntry.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        balance_after=balance_after,
        reason=reason,
        **links,
    )
    account.balance = balance_after
    account.save(update_fields=["balance", "updated_at"])
    return entry


def store_credit_adjust(
    *, member: Member, amount: Decimal, reason: str, actor: User
) -> StoreCreditEntry:
    """Staff grant (positive) or correction (negative) of store credit, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("A reason is required."), code="reason_required", field="reason")
    if amount == 0 or not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(_("Enter a non-zero amount in euros and cents."), field="amount")
    with transaction.atomic(savepoint=False):
        account = credit_account_lock(member.pk)
        before = account.balance
        entry = credit_append(
            account,
            kind=StoreCreditEntry.Kind.GRANT if amount > 0 else StoreCreditEntry.Kind.ADJUSTMENT,
            amount=amount,
            reason=reason,
            staff_user=actor,
        )
        staff_action_record(
            actor=actor,
            action="adjust_store_credit",
            member=member,
            reason=reason,
            before={"store_credit": money_str(before)},
            after={"store_credit": money_str(account.balance), "at": timezone.now().isoformat()},
        )
    return entry
