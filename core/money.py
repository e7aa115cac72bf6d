"""Money as text: `money_str` for the API, receipts and the audit trail; `euros` for people."""

from decimal import Decimal

from django.utils import formats


def money_str(amount: Decimal) -> str:
    """Two decimals, a dot, no grouping or currency sign: Decimal("24.95") → "24.95"."""
    return f"{amount:.2f}"


def euros(amount: Decimal | int | None) -> str:
    """For people, in the active language: "€ 1.234,50" in Dutch, "€ 1,234.50" in English."""
    if amount is None:
        return ""
    text = formats.number_format(Decimal(amount), 2, use_l10n=True, force_grouping=True)
    return f"€\xa0{text}"
