"""Tier qualification (filled in with the tiers feature)."""

from dataclasses import dataclass
from decimal import Decimal

from ..models import PointAccount


@dataclass(frozen=True)
class TierEarningContext:
    tier_id: int | None = None
    multiplier: Decimal = Decimal("1")
    label: str = ""


def tier_earning_context(account: PointAccount | None) -> TierEarningContext:
    return TierEarningContext()


def tier_upgrade_if_qualified(account: PointAccount) -> None:
    return None
