"""The KPI summaries' spells of activity follow campaigns/lifecycle.py."""

import pytest

from campaigns import lifecycle
from insights.models import ActivitySpell
from tests.factories import StoreFactory

from .helpers import d, member_on, purchase

pytestmark = pytest.mark.django_db


def test_the_spells_and_the_days_members_turn_dormant_follow_the_lifecycle(programme, refreshed):
    # given: a 30-day threshold; gaps of exactly 30 days and of 43 days
    shop = StoreFactory()
    member = member_on("2025-01-01", store=shop)
    days = ["2025-01-01", "2025-01-31", "2025-03-15"]
    for day in days:
        purchase(member, shop, day)
    # when
    refreshed()
    # then: one spell per run of purchases that continue it, dormant on the lifecycle's day
    expected, start = [], d(days[0])
    for previous, day in zip(days, [*days[1:], None], strict=True):
        gap = None if day is None else (d(day) - d(previous)).days
        if gap is None or not lifecycle.continues_spell(gap, days=30):
            expected.append((start, d(previous), lifecycle.dormant_on(d(previous), days=30)))
            start = d(day) if day else None
    spells = ActivitySpell.objects.filter(member=member).order_by("started_on")
    assert [(s.started_on, s.last_purchase_on, s.dormant_on) for s in spells] == expected
    assert expected == [
        (d("2025-01-01"), d("2025-01-31"), d("2025-03-02")),
        (d("2025-03-15"), d("2025-03-15"), d("2025-04-14")),
    ]
