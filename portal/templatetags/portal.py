from django import template
from django.utils import formats

from core.money import money_display

register = template.Library()


@register.filter
def money(value) -> str:
    """€ 1.234,50 in Dutch, € 1,234.50 in English."""
    if value in (None, ""):
        return ""
    return money_display(value)


@register.filter
def points(value) -> str:
    """Whole points with the language's thousands separator, sign kept for changes."""
    if value in (None, ""):
        return "0"
    return formats.number_format(int(value), 0, use_l10n=True, force_grouping=True)


@register.filter
def signed_points(value) -> str:
    text = points(abs(int(value)))
    return f"+{text}" if int(value) > 0 else f"−{text}" if int(value) < 0 else text
