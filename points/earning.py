"""The earning engine: pure functions from a basket and the rules in force to points.

Points = the base rate × what it covers, plus each multiplier rule's extra base points on what it
covers, plus fixed bonuses, plus bonuses that other apps contribute through `bonus_providers`
(campaigns, registered in `points.extensions`), times the member's tier multiplier. Every step
rounds down, and every step that adds points is one line of the explanation.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from .extensions import BonusContext, bonus_providers

ZERO = Decimal("0")


def floor_points(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def split_codes(text: str) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in (text or "").split(",") if part.strip())


@dataclass(frozen=True)
class BasketLine:
    sku: str
    category: str
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Basket:
    store_id: int
    channel: str
    occurred_at: datetime.datetime
    amount: Decimal  # what points are earned on (after discounts, without store credit)
    gross_amount: Decimal  # the basket before discounts; line amounts add up to at most this
    lines: tuple[BasketLine, ...] = ()
    member_id: int | None = None
    tier_id: int | None = None

    @property
    def paid_ratio(self) -> Decimal:
        if not self.gross_amount:
            return ZERO
        return self.amount / self.gross_amount


@dataclass(frozen=True)
class Scope:
    """Which part of a basket a rule covers."""

    store_ids: frozenset[int] = frozenset()
    channel: str = ""
    categories: frozenset[str] = frozenset()
    skus: frozenset[str] = frozenset()
    excluded_categories: frozenset[str] = frozenset()
    excluded_skus: frozenset[str] = frozenset()

    @classmethod
    def of(cls, configured) -> "Scope":
        """The scope staff configured on a rule or campaign (`stores` prefetched); the
        exclusions only where the model has them."""
        return cls(
            store_ids=frozenset(store.pk for store in configured.stores.all()),
            channel=configured.channel,
            categories=split_codes(configured.categories),
            skus=split_codes(configured.skus),
            excluded_categories=split_codes(getattr(configured, "excluded_categories", "")),
            excluded_skus=split_codes(getattr(configured, "excluded_skus", "")),
        )

    def matches_place(self, basket: Basket) -> bool:
        if self.store_ids and basket.store_id not in self.store_ids:
            return False
        return not self.channel or self.channel == basket.channel

    def _line_included(self, line: BasketLine) -> bool:
        sku, category = line.sku.lower(), line.category.lower()
        if sku in self.excluded_skus or category in self.excluded_categories:
            return False
        if self.categories or self.skus:
            return sku in self.skus or category in self.categories
        return True

    def eligible_amount(self, basket: Basket) -> Decimal:
        """The share of the paid amount this scope covers; discounts spread over the lines."""
        if not self.matches_place(basket):
            return ZERO
        if not (self.categories or self.skus or self.excluded_categories or self.excluded_skus):
            return basket.amount
        included = sum((line.amount for line in basket.lines if self._line_included(line)), ZERO)
        if not (self.categories or self.skus):
            # Exclusions only: everything but the excluded lines (and unlined rest) counts.
            excluded = sum(
                (line.amount for line in basket.lines if not self._line_included(line)), ZERO
            )
            return max(ZERO, basket.amount - excluded * basket.paid_ratio)
        return included * basket.paid_ratio


def qualifying_amount(scope: Scope, basket: Basket, minimum_spend: Decimal) -> Decimal | None:
    """What a rule or campaign covers of the basket, or None when it does not apply at all."""
    eligible = scope.eligible_amount(basket)
    if eligible <= 0 or eligible < minimum_spend:
        return None
    return eligible


def extra_points(
    *, kind: str, eligible: Decimal, base_rate: Decimal, multiplier: Decimal, bonus_points: int
) -> int:
    """The points a multiplier or fixed-bonus rule (or bonus campaign) adds on what it covers.

    A multiplier adds (multiplier − 1) × the base points of what it covers, each step rounded
    down; any other kind adds its fixed bonus.
    """
    if kind == "multiplier":
        return floor_points(Decimal(floor_points(eligible * base_rate)) * (multiplier - 1))
    return bonus_points


@dataclass(frozen=True)
class RuleSpec:
    id: int
    kind: str
    name_nl: str
    name_en: str
    scope: Scope
    points_per_unit: Decimal
    multiplier: Decimal
    bonus_points: int
    minimum_spend: Decimal
    priority: int
    valid_from: datetime.datetime | None
    valid_until: datetime.datetime | None

    def is_in_force(self, at: datetime.datetime) -> bool:
        if self.valid_from and at < self.valid_from:
            return False
        return not (self.valid_until and at >= self.valid_until)


@dataclass(frozen=True)
class ExplanationLine:
    source: str  # "rule", "campaign", "tier"
    source_id: int | None
    label: str
    points: int

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "source_id": self.source_id,
            "label": self.label,
            "points": self.points,
        }


@dataclass(frozen=True)
class EarningResult:
    points: int
    lines: tuple[ExplanationLine, ...]
    base_rate: Decimal = ZERO

    def explanation(self) -> list[dict]:
        return [line.as_dict() for line in self.lines]


def compute_points(
    basket: Basket,
    rules: Iterable[RuleSpec],
    *,
    language_label: Callable[[str, str], str],
    tier_multiplier: Decimal = Decimal("1"),
    tier_label: str = "",
    tier_id: int | None = None,
    is_final: bool = False,
) -> EarningResult:
    """The points a basket earns, line by line. `is_final`: the purchase is being recorded, so
    bonus providers spend their budgets (`BonusContext.is_final`)."""
    in_force = sorted(
        (rule for rule in rules if rule.is_in_force(basket.occurred_at)),
        key=lambda rule: (-rule.priority, rule.id),
    )
    lines: list[ExplanationLine] = []

    def qualifies(rule: RuleSpec) -> Decimal | None:
        return qualifying_amount(rule.scope, basket, rule.minimum_spend)

    base_rate = ZERO
    base_rule = next(
        (rule for rule in in_force if rule.kind == "base_rate" and qualifies(rule) is not None),
        None,
    )
    if base_rule is not None:
        base_rate = base_rule.points_per_unit
        points = floor_points(qualifies(base_rule) * base_rate)
        if points:
            lines.append(
                ExplanationLine(
                    "rule",
                    base_rule.id,
                    language_label(base_rule.name_nl, base_rule.name_en),
                    points,
                )
            )

    for rule in in_force:
        if rule.kind == "base_rate":
            continue
        eligible = qualifies(rule)
        if eligible is None:
            continue
        points = extra_points(
            kind=rule.kind,
            eligible=eligible,
            base_rate=base_rate,
            multiplier=rule.multiplier,
            bonus_points=rule.bonus_points,
        )
        if points:
            lines.append(
                ExplanationLine("rule", rule.id, language_label(rule.name_nl, rule.name_en), points)
            )

    subtotal = sum(line.points for line in lines)
    context = BonusContext(
        basket=basket,
        base_rate=base_rate,
        subtotal=subtotal,
        labels=language_label,
        is_final=is_final,
    )
    for provider in bonus_providers:
        lines.extend(line for line in provider(context) if line.points)

    subtotal = sum(line.points for line in lines)
    if tier_multiplier > 1 and subtotal > 0:
        extra = floor_points(Decimal(subtotal) * (tier_multiplier - 1))
        if extra:
            lines.append(ExplanationLine("tier", tier_id, tier_label, extra))

    return EarningResult(
        points=max(0, sum(line.points for line in lines)), lines=tuple(lines), base_rate=base_rate
    )
