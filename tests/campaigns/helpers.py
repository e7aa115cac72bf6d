"""Helpers of the campaigns tests."""

import datetime

from django.utils import timezone

from tests.helpers import buy


def bought_days_ago(member, store, days, amount="20.00"):
    """A purchase `days` ago (offline tills may send up to 90 days late)."""
    return buy(member, store, amount, occurred_at=timezone.now() - datetime.timedelta(days=days))


def bonus_campaign_form(**changes) -> dict:
    """The admin form of a valid fixed-bonus campaign from tomorrow, with `changes`."""
    now = timezone.now()
    return {
        "name_nl": "Bonus",
        "name_en": "Bonus",
        "is_active": "on",
        "kind": "fixed_bonus",
        "multiplier": "1",
        "bonus_points": "100",
        "minimum_spend": "0",
        "starts_at_0": (now + datetime.timedelta(days=1)).strftime("%d-%m-%Y"),
        "starts_at_1": "00:00:00",
        "ends_at_0": (now + datetime.timedelta(days=3)).strftime("%d-%m-%Y"),
        "ends_at_1": "00:00:00",
        **changes,
    }
