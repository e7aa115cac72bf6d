"""Purchases: earning points, idempotent on (store, transaction_id)."""

import datetime
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member, Store
from core import webhooks
from core.errors import Conflict, InvalidInput, MemberBlocked
from core.money import money_str
from core.outcomes import from_record, to_record
from core.queries import one_or_none

from .. import extensions
from ..earning import Basket, BasketLine, EarningResult, ExplanationLine, compute_points
from ..models import EntryKind, LoyaltyProgram, PointAccount, Purchase, PurchaseLine
from ..selectors import account_of, earning_rules_active, label_in_language
from ..signals import purchase_recorded
from ..tiers import tier_earning_context
from .ledger import account_lock, ledger_append


def fingerprint(payload: dict) -> str:
    """A stable hash of a request, to tell an identical retry from a different request."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class PurchaseRequest:
    store: Store
    member: Member
    transaction_id: str
    amount: Decimal
    currency: str
    channel: str | None = None
    occurred_at: datetime.datetime | None = None  # None: now
    lines: tuple[BasketLine, ...] = ()
    codes: tuple[str, ...] = ()
    store_credit: Decimal | None = None
    store_credit_mode: str = extensions.STORE_CREDIT_EXACT
    api_key_id: int | None = None  # who asks: failed code checks are counted per key

    def fingerprint(self) -> str:
        # The mode counts only when it is not the default, so purchases recorded before it
        # existed still recognise their identical retries.
        mode = (
            {"store_credit_mode": self.store_credit_mode}
            if self.store_credit_mode != extensions.STORE_CREDIT_EXACT
            else {}
        )
        return fingerprint(
            {
                **mode,
                "card_number": self.member.card_number,
                "amount": money_str(self.amount),
                "currency": self.currency.upper(),
                "channel": self.channel,
                "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
                "lines": [
                    [line.sku, line.category, str(line.quantity), money_str(line.amount)]
                    for line in self.lines
                ],
                "codes": list(self.codes),
                "store_credit": money_str(self.store_credit) if self.store_credit else None,
            }
        )

    @property
    def effective_channel(self) -> str:
        return self.channel or self.store.channel


@dataclass(frozen=True)
class PurchaseReceipt:
    """The answer to a purchase, kept with it (`Purchase.response_body`) for identical retries."""

    transaction_id: str
    card_number: str
    store: str
    amount: Decimal
    currency: str
    occurred_at: datetime.datetime
    points_earned: int
    explanation: tuple[ExplanationLine, ...]
    points_balance: int
    discount_total: Decimal
    store_credit_used: Decimal
    amount_payable: Decimal
    # With codes or store credit at the till: the checkout hook's verdicts.
    codes: tuple[extensions.CodeVerdictLine, ...] | None = None
    store_credit: extensions.StoreCreditLine | None = None
    # Inside a return window: the points earned are pending (not in points_balance) until then.
    points_pending: int = 0
    pending_until: datetime.datetime | None = None


@dataclass(frozen=True)
class PurchaseOutcome:
    purchase: Purchase
    receipt: PurchaseReceipt
    replayed: bool


@dataclass(frozen=True)
class PurchaseQuote:
    """What a purchase would earn and cost; nothing recorded."""

    card_number: str
    amount: Decimal
    currency: str
    points_earned: int
    explanation: tuple[ExplanationLine, ...]
    points_balance: int
    points_balance_after: int
    discount_total: Decimal
    store_credit_used: Decimal
    amount_payable: Decimal
    codes: tuple[extensions.CodeVerdictLine, ...] | None = None
    store_credit: extensions.StoreCreditLine | None = None


def validate_occurred_at(
    occurred_at: datetime.datetime | None, *, now: datetime.datetime, field: str = "occurred_at"
) -> datetime.datetime:
    if occurred_at is None:
        return now
    if occurred_at > now + datetime.timedelta(seconds=settings.LOYALTY_MAX_FUTURE_SKEW_SECONDS):
        raise InvalidInput(
            _("This time lies in the future; check the till's clock."),
            code="occurred_in_future",
            field=field,
        )
    if occurred_at < now - datetime.timedelta(days=settings.LOYALTY_MAX_PURCHASE_AGE_DAYS):
        raise InvalidInput(
            _("This is too long ago to be recorded (more than %(days)s days).")
            % {"days": settings.LOYALTY_MAX_PURCHASE_AGE_DAYS},
            code="too_old",
            field=field,
        )
    return occurred_at


def validate_basket(*, amount: Decimal, currency: str, lines: tuple[BasketLine, ...]) -> None:
    """Business checks on a basket that the shape of the input cannot express."""
    if currency.upper() != settings.LOYALTY_CURRENCY:
        raise InvalidInput(
            _("This programme works in %(currency)s.") % {"currency": settings.LOYALTY_CURRENCY},
            code="currency_mismatch",
            field="currency",
        )
    if amount < 0:
        raise InvalidInput(_("The amount cannot be negative."), code="min_value", field="amount")
    if sum((line.amount for line in lines), Decimal("0")) > amount:
        raise InvalidInput(
            _("The lines add up to more than the amount."),
            code="lines_exceed_amount",
            field="lines",
        )


def _validate(request: PurchaseRequest, now: datetime.datetime) -> datetime.datetime:
    validate_basket(amount=request.amount, currency=request.currency, lines=request.lines)
    if not request.member.is_active:
        raise MemberBlocked(field="card_number")
    return validate_occurred_at(request.occurred_at, now=now)


def _evaluate(
    request: PurchaseRequest,
    account: PointAccount | None,
    occurred_at: datetime.datetime,
    *,
    for_update: bool,
) -> tuple[extensions.CheckoutDecision, EarningResult]:
    hook = extensions.checkout_hook()
    if hook is not None and (request.codes or request.store_credit):
        decision = hook.decide(request=request, account=account, for_update=for_update)
    elif request.codes or request.store_credit:
        raise InvalidInput(_("Codes and store credit are not enabled."), field="codes")
    else:
        decision = extensions.CheckoutDecision()
    earning_amount = request.amount - decision.discount_total - decision.store_credit_used
    tier = tier_earning_context(account)
    basket = Basket(
        store_id=request.store.pk,
        channel=request.effective_channel,
        occurred_at=occurred_at,
        amount=max(Decimal("0"), earning_amount),
        gross_amount=request.amount,
        lines=request.lines,
        member_id=request.member.pk,
        tier_id=tier.tier_id,
    )
    result = compute_points(
        basket,
        earning_rules_active(),
        language_label=label_in_language,
        tier_multiplier=tier.multiplier,
        tier_label=tier.label,
        tier_id=tier.tier_id,
        is_final=for_update,
    )
    return decision, result


def purchase_quote(*, request: PurchaseRequest) -> PurchaseQuote:
    """What a purchase would earn and cost; reads only, records nothing."""
    occurred_at = _validate(request, timezone.now())
    account = account_of(request.member)
    decision, result = _evaluate(request, account, occurred_at, for_update=False)
    balance = account.balance if account else 0
    return PurchaseQuote(
        card_number=request.member.card_number,
        amount=request.amount,
        currency=request.currency.upper(),
        points_earned=result.points,
        explanation=result.lines,
        points_balance=balance,
        # Points earned inside a return window are pending: not in the balance yet.
        points_balance_after=balance
        + (0 if pending_until_for(request.effective_channel, occurred_at) else result.points),
        discount_total=decision.discount_total,
        store_credit_used=decision.store_credit_used,
        amount_payable=request.amount - decision.discount_total - decision.store_credit_used,
        codes=decision.codes,
        store_credit=decision.store_credit,
    )


def pending_until_for(
    channel: str, occurred_at: datetime.datetime, *, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """When the points of a purchase in this channel become spendable, or None if at once.

    A window of 0 days, or one that already ended (a till sending late), gives None.
    """
    days = LoyaltyProgram.current().return_window_days(channel)
    if not days:
        return None
    until = occurred_at + datetime.timedelta(days=days)
    return until if until > (now or timezone.now()) else None


def _replay(existing: Purchase, request_fingerprint: str) -> PurchaseOutcome:
    if existing.request_hash != request_fingerprint:
        raise Conflict(
            _("This transaction id was already used for a different purchase."),
            code="transaction_id_conflict",
            field="transaction_id",
        )
    receipt = from_record(PurchaseReceipt, existing.response_body)
    return PurchaseOutcome(purchase=existing, receipt=receipt, replayed=True)


def _existing(request: PurchaseRequest) -> Purchase | None:
    return one_or_none(
        Purchase.objects.filter(store=request.store, transaction_id=request.transaction_id)
    )


def purchase_record(*, request: PurchaseRequest) -> PurchaseOutcome:
    """Records a purchase and the points it earns, once per (store, transaction_id).

    Locks the member's account; writes the purchase (with its answer), its lines and one EARN
    entry (pending until the channel's return window ends, if there is one: `pending_until`);
    applies codes and store credit through the checkout hook; the earning upgrades the
    tier when it crosses a threshold (see ledger_append); sends `purchase_recorded`. An identical
    retry returns the first answer, also while the first is still in flight: a retry for the same
    member waits on the account lock, one for another member on the unique constraint.
    """
    request_fingerprint = request.fingerprint()
    occurred_at = _validate(request, timezone.now())
    try:
        with transaction.atomic(durable=True):
            # Rows the receivers change, locked before the account (docs/architecture.md).
            locked = extensions.lock_preludes_run(
                member_id=request.member.pk, occurred_at=occurred_at
            )
            account = account_lock(request.member.pk)
            existing = _existing(request)
            if existing is not None:
                return _replay(existing, request_fingerprint)
            decision, result = _evaluate(request, account, occurred_at, for_update=True)
            pending_until = pending_until_for(request.effective_channel, occurred_at)
            receipt = PurchaseReceipt(
                transaction_id=request.transaction_id,
                card_number=request.member.card_number,
                store=request.store.code,
                amount=request.amount,
                currency=request.currency.upper(),
                occurred_at=occurred_at,
                points_earned=result.points,
                explanation=result.lines,
                points_balance=account.balance + (0 if pending_until else result.points),
                discount_total=decision.discount_total,
                store_credit_used=decision.store_credit_used,
                amount_payable=request.amount
                - decision.discount_total
                - decision.store_credit_used,
                codes=decision.codes,
                store_credit=decision.store_credit,
                points_pending=result.points if pending_until else 0,
                pending_until=pending_until if result.points else None,
            )
            purchase = Purchase.objects.create(
                store=request.store,
                transaction_id=request.transaction_id,
                member=request.member,
                amount=request.amount,
                discount_total=decision.discount_total,
                store_credit_used=decision.store_credit_used,
                currency=request.currency.upper(),
                channel=request.effective_channel,
                occurred_at=occurred_at,
                points_earned=result.points,
                explanation=result.explanation(),
                request_hash=request_fingerprint,
                # The answer is known before anything is written: no second write of the row.
                response_body=to_record(receipt),
            )
            if request.lines:
                PurchaseLine.objects.bulk_create(
                    PurchaseLine(
                        purchase=purchase,
                        sku=line.sku,
                        category=line.category,
                        quantity=line.quantity,
                        amount=line.amount,
                    )
                    for line in request.lines
                )
            if result.points and pending_until:
                ledger_append(
                    account,
                    kind=EntryKind.EARN,
                    points=0,
                    pending_points=result.points,
                    pending_until=pending_until,
                    effective_at=occurred_at,
                    purchase=purchase,
                )
            elif result.points:
                ledger_append(
                    account,
                    kind=EntryKind.EARN,
                    points=result.points,
                    effective_at=occurred_at,
                    purchase=purchase,
                )
            hook = extensions.checkout_hook()
            if hook is not None and decision.state is not None:
                hook.apply(purchase=purchase, decision=decision)
            purchase_recorded.send(
                sender=Purchase, purchase=purchase, account=account, locked=locked
            )
            webhooks.emit("purchase.recorded", to_record(receipt), member_id=request.member.pk)
    except IntegrityError:
        # The same id from the same store for another member committed while we waited on the
        # unique index: answer as a retry (409 when the bodies differ). Anything else re-raises.
        existing = _existing(request)
        if existing is None:
            raise
        return _replay(existing, request_fingerprint)
    return PurchaseOutcome(purchase=purchase, receipt=receipt, replayed=False)
