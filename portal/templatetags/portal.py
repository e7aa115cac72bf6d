import datetime
from decimal import Decimal

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language

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


def _month_format() -> str:
    # Dutch writes month names in lower case ("29 nov"); English capitalises them ("29 Nov").
    return "M" if (get_language() or "").startswith("en") else "b"


def _local(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


@register.filter
def short_date(value) -> str:
    """29 nov 2026 in Dutch, 29 Nov 2026 in English (local time)."""
    if not value:
        return ""
    return formats.date_format(_local(value), f"j {_month_format()} Y")


@register.filter
def month_abbreviation(value) -> str:
    """nov in Dutch, Nov in English."""
    if not value:
        return ""
    return formats.date_format(_local(value), _month_format())


@register.filter
def decimal(value) -> str:
    """A rate or multiplier without trailing zeros, in the language's format: 1,25 / 2 / 1,5."""
    if value in (None, ""):
        return ""
    number = Decimal(value).normalize()
    places = max(0, -number.as_tuple().exponent)  # type: ignore[operator]
    return formats.number_format(number, places, use_l10n=True)


@register.filter
def stamp_slots(card) -> list[bool]:
    """A stamp card's slots, stamped ones first: [True, True, False, …] (at most 20 drawn)."""
    needed = min(int(card.needed), 20)
    return [slot < card.collected for slot in range(needed)]
