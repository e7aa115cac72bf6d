"""Where higher apps plug into purchases and refunds without points importing them.

`rewards` registers a `CheckoutHook` that turns codes and store credit into discounts, consumes
them in the purchase's transaction, and gives them back on refunds.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

ZERO = Decimal("0.00")


@dataclass
class CheckoutDecision:
    discount_total: Decimal = ZERO
    store_credit_used: Decimal = ZERO
    receipt: dict[str, Any] = field(default_factory=dict)  # merged into the purchase answer
    state: Any = None  # whatever the hook needs again in `apply`


class CheckoutHook(Protocol):
    def decide(self, *, request, account, for_update: bool) -> CheckoutDecision: ...

    def apply(self, *, purchase, decision: CheckoutDecision) -> None: ...

    def on_refund(self, *, purchase, refund, cumulative_amount: Decimal) -> dict[str, Any]: ...


_checkout_hook: CheckoutHook | None = None


def register_checkout_hook(hook: CheckoutHook) -> None:
    global _checkout_hook
    _checkout_hook = hook


def checkout_hook() -> CheckoutHook | None:
    return _checkout_hook


# Other ledgers (store credit) add their consistency check to `check_ledger`.
LedgerCheck = Callable[[], list[str]]
_ledger_checks: dict[str, LedgerCheck] = {}


def register_ledger_check(name: str, check: LedgerCheck) -> None:
    _ledger_checks[name] = check


def ledger_checks() -> dict[str, LedgerCheck]:
    return dict(_ledger_checks)
