"""Every place where a higher app plugs into points, typed, with its register function.

Points imports none of the apps to its right; they register here at start-up (their
`AppConfig.ready`), and points calls what they registered. All of it runs inside the caller's
transaction: what an extension writes commits or rolls back with the change that caused it.

- Checkout hook (one): `rewards` turns codes and store credit into discounts, consumes them in
  the purchase's transaction, and gives them back on refunds.
- Bonus providers (any number): `campaigns` adds bonus-point campaigns to the earning
  explanation (`points.earning.compute_points`).
- Ledger checks (any number, by name): other ledgers (store credit) add their consistency check
  to `check_ledger` and the nightly reconciliation.
- Stamp card providers (any number): `campaigns` reports the member's stamp-card progress for
  the member summary (API, portal, member page).
- Lock preludes (any number, by name): `campaigns` locks the deliveries a purchase or refund
  will change before the point account, as the lock order wants.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .earning import Basket, ExplanationLine

ZERO = Decimal("0.00")


# Checkout hook


@dataclass(frozen=True)
class CodeVerdictLine:
    """What a purchase (or a checkout check) says about one code."""

    code: str
    status: str  # "applied" or "rejected"
    discount: Decimal
    reason: str | None = None
    reward: str | None = None  # only for the member's own codes
    message: str | None = None  # with a reason
    conflicts_with: str | None = None


# How a till asks for store credit (`store_credit_mode`): `exact` uses the amount asked for or
# refuses (422 insufficient_store_credit); `available` uses what the member has, up to that
# amount, and nothing when there is none. The rule is applied by the checkout hook (rewards).
STORE_CREDIT_EXACT = "exact"
STORE_CREDIT_AVAILABLE = "available"
STORE_CREDIT_MODES = (STORE_CREDIT_EXACT, STORE_CREDIT_AVAILABLE)


@dataclass(frozen=True)
class StoreCreditLine:
    """What a purchase (or a checkout check) says about the store credit asked for."""

    requested: Decimal
    available: Decimal
    used: Decimal
    reason: str | None = None
    message: str | None = None  # with a reason
    # Answers recorded before the mode existed were all `exact`.
    mode: str = STORE_CREDIT_EXACT


@dataclass
class CheckoutDecision:
    discount_total: Decimal = ZERO
    store_credit_used: Decimal = ZERO
    # Part of the purchase's answer when codes or store credit were sent.
    codes: tuple[CodeVerdictLine, ...] | None = None
    store_credit: StoreCreditLine | None = None
    state: Any = None  # whatever the hook needs again in `apply`


@dataclass(frozen=True)
class RefundReturns:
    """What a refund gave back: codes (on a full refund) and store credit."""

    codes_restored: tuple[str, ...] | None = None
    store_credit_returned: Decimal | None = None


class CheckoutHook(Protocol):
    def decide(self, *, request, account, for_update: bool) -> CheckoutDecision: ...

    def apply(self, *, purchase, decision: CheckoutDecision) -> None: ...

    def on_refund(self, *, purchase, refund, cumulative_amount: Decimal) -> RefundReturns: ...


_checkout_hook: CheckoutHook | None = None


def register_checkout_hook(hook: CheckoutHook) -> None:
    global _checkout_hook
    _checkout_hook = hook


def checkout_hook() -> CheckoutHook | None:
    return _checkout_hook


# Bonus providers


@dataclass(frozen=True)
class BonusContext:
    """What a bonus provider gets: the basket, the base rate in force and the points so far.

    `is_final` is set when the points are being recorded (a purchase, inside its transaction),
    not only quoted: a provider with a budget spends it then, and only then."""

    basket: Basket
    base_rate: Decimal
    subtotal: int
    labels: Callable[[str, str], str] = field(repr=False)
    is_final: bool = False


# Callables (context) -> iterable of ExplanationLine; campaigns registers one at start-up.
BonusProvider = Callable[[BonusContext], "Iterable[ExplanationLine]"]
bonus_providers: list[BonusProvider] = []


def register_bonus_provider(provider: BonusProvider) -> None:
    if provider not in bonus_providers:
        bonus_providers.append(provider)


# Ledger checks

# Each returns the problems it found, as sentences; an empty list when all is well.
LedgerCheck = Callable[[], list[str]]
_ledger_checks: dict[str, LedgerCheck] = {}


def register_ledger_check(name: str, check: LedgerCheck) -> None:
    _ledger_checks[name] = check


def ledger_checks() -> dict[str, LedgerCheck]:
    return dict(_ledger_checks)


# Stamp cards


@dataclass(frozen=True)
class StampCardProgress:
    """One stamp card of a member: `collected` of `needed` purchases towards the next reward."""

    name: str
    category: str  # the product category counted; "" = every purchase
    collected: int
    needed: int


# Callables (member) -> iterable of StampCardProgress; campaigns registers one (its nth-purchase
# automations are the stamp cards), so the member summary can show them.
StampCardProvider = Callable[[Any], "Iterable[StampCardProgress]"]
stamp_card_providers: list[StampCardProvider] = []


def register_stamp_card_provider(provider: StampCardProvider) -> None:
    if provider not in stamp_card_providers:
        stamp_card_providers.append(provider)


def stamp_cards_for(member) -> tuple[StampCardProgress, ...]:
    return tuple(card for provider in stamp_card_providers for card in provider(member))


# Lock preludes

# Callables (member_id, occurred_at) -> what they locked. A purchase's or a refund's
# transaction runs them first, before it locks the member's point account, so that a higher app
# locks the rows it changes later in that transaction (in the receivers of `purchase_recorded`
# and `refund_recorded`) in the documented lock order (docs/architecture.md): campaigns locks
# the member's deliveries whose offer window holds the purchase. The signals carry what each
# returned (`locked`, by name).
LockPrelude = Callable[[int, datetime.datetime], Any]
_lock_preludes: dict[str, LockPrelude] = {}


def register_lock_prelude(name: str, prelude: LockPrelude) -> None:
    _lock_preludes[name] = prelude


def lock_preludes_run(*, member_id: int, occurred_at: datetime.datetime) -> dict[str, Any]:
    return {name: prelude(member_id, occurred_at) for name, prelude in _lock_preludes.items()}
