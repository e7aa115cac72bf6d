"""Refunds: points reversed in proportion, with no rounding residue over several parts."""

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Store
from core import webhooks
from core.errors import ApplicationError, Conflict, NotFound
from core.money import money_display, money_str
from core.outcomes import from_record, to_record
from core.queries import one_or_none

from .. import extensions
from ..models import EntryKind, PointAccount, PointsEntry, Purchase, Refund
from ..signals import refund_recorded
from .ledger import account_lock, ledger_append
from .purchases import fingerprint


@dataclass(frozen=True)
class RefundRequest:
    store: Store  # the refunding store (the key's)
    transaction_id: str
    refund_id: str
    amount: Decimal
    lines: tuple[dict, ...] = ()
    # The store that recorded the purchase, when another store of the chain refunds it.
    purchase_store_code: str | None = None

    def fingerprint(self) -> str:
        payload = {
            "transaction_id": self.transaction_id,
            "amount": money_str(self.amount),
            "lines": list(self.lines),
        }
        if self.purchase_store_code is not None:
            # Only when given, so retries of refunds recorded before #18 still match.
            payload["store_code"] = self.purchase_store_code
        return fingerprint(payload)


@dataclass(frozen=True)
class RefundReceipt:
    """The answer to a refund, kept with it (`Refund.response_body`) for identical retries."""

    transaction_id: str
    refund_id: str
    amount: Decimal
    points_reversed: int
    points_balance: int
    refunded_total: Decimal
    # When the purchase used codes or store credit: what the refund gave back.
    codes_restored: tuple[str, ...] | None = None
    store_credit_returned: Decimal | None = None


@dataclass(frozen=True)
class RefundOutcome:
    refund: Refund
    receipt: RefundReceipt
    replayed: bool


def points_to_reverse(
    *,
    points_earned: int,
    net_amount: Decimal,
    refunded_before: Decimal,
    refund_amount: Decimal,
    reversed_before: int,
) -> int:
    """Reverse the share of the points that the refunded share of the amount earned.

    Computed on the cumulative refunded amount and rounded down, so parts never reverse more
    than their share, and the last part of a full refund reverses exactly what is left.
    """
    cumulative = refunded_before + refund_amount
    if cumulative >= net_amount:
        target = points_earned
    else:
        # Whole cents keep the arithmetic exact.
        target = points_earned * int(cumulative * 100) // int(net_amount * 100)
    return max(0, target - reversed_before)


def unreleased_pending_earn(purchase: Purchase) -> PointsEntry | None:
    """The purchase's pending EARN entry while its points are not released yet, else None."""
    return (
        PointsEntry.objects.filter(purchase=purchase, kind=EntryKind.EARN, pending_points__gt=0)
        .exclude(corrections__kind=EntryKind.RELEASE)
        .first()
    )


class RefundExceedsPurchase(ApplicationError):
    code = "refund_exceeds_purchase"


def _replay(existing: Refund, request_fingerprint: str) -> RefundOutcome:
    if existing.request_hash != request_fingerprint:
        raise Conflict(
            _("This refund id was already used for a different refund."),
            code="refund_id_conflict",
            field="refund_id",
        )
    receipt = from_record(RefundReceipt, existing.response_body)
    return RefundOutcome(refund=existing, receipt=receipt, replayed=True)


def _purchase_store(request: RefundRequest) -> Store:
    code = request.purchase_store_code
    if code is None or code == request.store.code:
        return request.store
    store = one_or_none(Store.objects.filter(code=code))
    if store is None:
        raise NotFound(
            _("No store with this code in the chain."),
            code="purchase_not_found",
            field="store_code",
        )
    return store


def refund_record(*, request: RefundRequest) -> RefundOutcome:
    """Records a refund of a purchase of any store of the chain (`purchase_store_code`; by
    default the refunding store's own), once per (purchase, refunding store, refund_id).

    Locks the member's account, then the purchase; takes back points in proportion: still
    pending ones are cancelled (PENDING_CANCEL), released ones reversed (the balance may go
    negative when the points were spent: the account is then flagged for review); lets the
    checkout hook return store credit and codes. The refund records both stores.
    """
    request_fingerprint = request.fingerprint()
    purchase_store = _purchase_store(request)
    lookup = {"store": purchase_store, "transaction_id": request.transaction_id}
    try:
        with transaction.atomic(durable=True):
            found = one_or_none(
                Purchase.objects.filter(**lookup).values_list("pk", "member_id", "occurred_at")
            )
            if found is None:
                raise NotFound(
                    _("No purchase with this transaction id in this store."),
                    code="purchase_not_found",
                    field="transaction_id",
                )
            # Rows the receivers change, locked before the account (docs/architecture.md).
            locked = extensions.lock_preludes_run(member_id=found[1], occurred_at=found[2])
            # The account lock serialises every refund of this member's purchases; the purchase
            # is read (and locked) after it, so it shows what earlier refunds left.
            account = account_lock(found[1])
            purchase = Purchase.objects.select_for_update().get(pk=found[0])
            existing = one_or_none(
                purchase.refunds.filter(store=request.store, refund_id=request.refund_id)
            )
            if existing is not None:
                return _replay(existing, request_fingerprint)
            refund, receipt = _refund_locked(request, purchase, account, request_fingerprint)
            refund_recorded.send(sender=Refund, refund=refund, purchase=purchase, locked=locked)
            webhooks.emit("purchase.refunded", to_record(receipt), member_id=purchase.member_id)
    except IntegrityError:
        existing = one_or_none(
            Refund.objects.filter(
                purchase__store=purchase_store,
                purchase__transaction_id=request.transaction_id,
                store=request.store,
                refund_id=request.refund_id,
            )
        )
        if existing is None:
            raise
        return _replay(existing, request_fingerprint)
    return RefundOutcome(refund=refund, receipt=receipt, replayed=False)


def _refund_locked(
    request: RefundRequest, purchase: Purchase, account, request_fingerprint: str
) -> tuple[Refund, RefundReceipt]:
    refundable = purchase.net_amount - purchase.refunded_amount
    if request.amount > refundable:
        raise RefundExceedsPurchase(
            _("Only %(amount)s of this purchase can still be refunded.")
            % {"amount": money_display(refundable)},  # for people: "€ 25,00" in Dutch
            field="amount",
            extra={"refundable_amount": money_str(refundable)},
        )
    reverse = points_to_reverse(
        points_earned=purchase.points_earned,
        net_amount=purchase.net_amount,
        refunded_before=purchase.refunded_amount,
        refund_amount=request.amount,
        reversed_before=purchase.points_reversed,
    )
    # The purchase row is locked, so adding in Python is safe, and exact: SQLite would add
    # decimals as floats in an F() expression.
    purchase.refunded_amount += request.amount
    purchase.points_reversed += reverse
    # Still pending (not released: the account lock keeps the release job out meanwhile)?
    # Then the share is cancelled from the pending points and the balance is not touched.
    # (No pending points on the account: none of this purchase's either, and no query.)
    pending_earn = (
        unreleased_pending_earn(purchase) if reverse and account.pending_balance > 0 else None
    )
    receipt = RefundReceipt(
        transaction_id=purchase.transaction_id,
        refund_id=request.refund_id,
        amount=request.amount,
        points_reversed=reverse,
        points_balance=account.balance - (0 if pending_earn else reverse),
        refunded_total=purchase.refunded_amount,
    )
    refund = Refund.objects.create(
        purchase=purchase,
        store=request.store,
        refund_id=request.refund_id,
        amount=request.amount,
        points_reversed=reverse,
        lines=list(request.lines),
        request_hash=request_fingerprint,
        response_body=to_record(receipt),
    )
    if pending_earn is not None:
        ledger_append(
            account,
            kind=EntryKind.PENDING_CANCEL,
            points=0,
            pending_points=-reverse,
            effective_at=purchase.occurred_at,
            corrects=pending_earn,
            purchase=purchase,
            refund=refund,
        )
    elif reverse:
        ledger_append(
            account,
            kind=EntryKind.REFUND_REVERSAL,
            points=-reverse,
            # Counts against tier points in the window the purchase counted in.
            effective_at=purchase.occurred_at,
            purchase=purchase,
            refund=refund,
        )
    purchase.save(update_fields=["refunded_amount", "points_reversed"])
    if account.balance < 0 and account.flagged_at is None:
        PointAccount.objects.filter(pk=account.pk).update(flagged_at=timezone.now())
    hook = extensions.checkout_hook()
    returns = extensions.RefundReturns()
    if hook is not None:
        returns = hook.on_refund(
            purchase=purchase, refund=refund, cumulative_amount=purchase.refunded_amount
        )
    if returns != extensions.RefundReturns():
        # Store credit or restored codes: only known once the refund row exists.
        receipt = dataclasses.replace(
            receipt,
            codes_restored=returns.codes_restored,
            store_credit_returned=returns.store_credit_returned,
        )
        refund.response_body = to_record(receipt)
        refund.save(update_fields=["response_body"])
    return refund, receipt
