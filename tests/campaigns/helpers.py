"""Helpers of the campaigns tests."""

import datetime

from django.utils import timezone

from tests.helpers import buy


def bought_days_ago(member, store, days, amount="20.00"):
    """A purchase `days` ago (offline tills may send up to 90 days late)."""
    return buy(member, store, amount, occurred_at=timezone.now() - datetime.timedelta(days=days))
