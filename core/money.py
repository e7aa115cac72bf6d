"""Money as text: the one format the API, receipts and the audit trail write amounts in."""

from decimal import Decimal


def money_str(amount: Decimal) -> str:
    """Two decimals, a dot, no grouping or currency sign: Decimal("24.95") → "24.95"."""
    return f"{amount:.2f}"
