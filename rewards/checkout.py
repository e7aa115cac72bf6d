"""The non-stacking decision: which of a basket's valid codes apply, and for how much.

Pure functions over plain data, so every rule is easy to test. Order of application: free
products first, then percentage discounts (largest first) on what is left, then fixed amounts
(largest first); nothing takes the payable amount below zero. Store credit pays last.

When codes clash, the combination with the largest total discount wins; ties go to fewer codes
(the customer keeps the others), then to codes that expire sooner, then to the alphabet.
"""

import datetime
import itertools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from points.earning import BasketLine

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Candidate:
    """A code that passed the individual checks (owner, status, expiry, tier, minimum spend)."""

    code: str
    kind: str
    value: Decimal
    sku: str
    stacking: str
    group: str
    expires_at: datetime.datetime


@dataclass(frozen=True)
class Choice:
    codes: tuple[Candidate, ...]
    discounts: tuple[Decimal, ...]

    @property
    def total(self) -> Decimal:
        return sum(self.discounts, ZERO)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _unit_prices(lines: tuple[BasketLine, ...]) -> dict[str, list[Decimal]]:
    """Per SKU, the price of each unit in the basket, dearest first."""
    prices: dict[str, list[Decimal]] = {}
    for line in lines:
        units = int(line.quantity) if line.quantity >= 1 else 1
        unit_price = _money(line.amount / units) if units else line.amount
        prices.setdefault(line.sku.lower(), []).extend([unit_price] * units)
    for units in prices.values():
        units.sort(reverse=True)
    return prices


def apply_codes(
    codes: tuple[Candidate, ...], amount: Decimal, lines: tuple[BasketLine, ...]
) -> Choice:
    """The discount each code gives when these codes are used together."""
    order = {"free_product": 0, "percentage_discount": 1, "fixed_discount": 2}
    ordered = sorted(codes, key=lambda code: (order[code.kind], -code.value, code.code))
    remaining = amount
    units = _unit_prices(lines)
    discounts = []
    for code in ordered:
        if code.kind == "free_product":
            prices = units.get(code.sku.lower(), [])
            price = prices.pop(0) if prices else ZERO
            discount = min(price, code.value) if code.value > 0 else price
        elif code.kind == "percentage_discount":
            discount = _money(remaining * code.value / 100)
        else:
            discount = code.value
        discount = _money(max(ZERO, min(discount, remaining)))
        remaining -= discount
        discounts.append(discount)
    return Choice(codes=tuple(ordered), discounts=tuple(discounts))


def is_compatible(codes: tuple[Candidate, ...], max_codes: int) -> bool:
    if len(codes) > max_codes:
        return False
    if len(codes) > 1 and any(code.stacking == "exclusive" for code in codes):
        return False
    groups = [code.group for code in codes if code.stacking == "one_per_group"]
    return len(groups) == len(set(groups))


def choose_best(
    candidates: tuple[Candidate, ...],
    amount: Decimal,
    lines: tuple[BasketLine, ...],
    max_codes: int,
) -> Choice:
    best: Choice | None = None
    best_key = None
    for size in range(1, min(max_codes, len(candidates)) + 1):
        for combination in itertools.combinations(candidates, size):
            if not is_compatible(combination, max_codes):
                continue
            choice = apply_codes(combination, amount, lines)
            key = (
                -choice.total,
                len(combination),
                sorted(code.expires_at for code in combination),
                sorted(code.code for code in combination),
            )
            if best_key is None or key < best_key:
                best, best_key = choice, key
    if best is None or best.total <= 0:
        return Choice(codes=(), discounts=())
    return best


def why_left_out(candidate: Candidate, chosen: Choice, max_codes: int) -> tuple[str, str | None]:
    """The reason a valid code is not part of the chosen combination."""
    for other in chosen.codes:
        if candidate.stacking == "exclusive" or other.stacking == "exclusive":
            return "not_combinable_with", other.code
        if (
            candidate.stacking == "one_per_group"
            and other.stacking == "one_per_group"
            and candidate.group == other.group
        ):
            return "not_combinable_with", other.code
    if len(chosen.codes) >= max_codes:
        return "too_many_codes", None
    return "no_discount", None
