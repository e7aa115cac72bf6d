import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import BonusCampaign
from tests.factories import SegmentFactory, StoreFactory, TierFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def campaign(**kwargs) -> BonusCampaign:
    now = timezone.now()
    values = {
        "name_nl": "Dubbele punten weekend",
        "name_en": "Double points weekend",
        "kind": "multiplier",
        "multiplier": Decimal("2"),
        "starts_at": now - datetime.timedelta(days=1),
        "ends_at": now + datetime.timedelta(days=1),
        **kwargs,
    }
    stores = values.pop("stores", None)
    tiers = values.pop("tiers", None)
    created = BonusCampaign.objects.create(**values)
    if stores:
        created.stores.set(stores)
    if tiers:
        created.tiers.set(tiers)
    return created


def explanation(outcome) -> list[tuple[str, str, int]]:
    return [(line.source, line.label, line.points) for line in outcome.receipt.explanation]


def test_a_double_points_weekend_joins_the_explanation(member, store):
    campaign()
    outcome = buy(member, store, "42.00")
    assert explanation(outcome) == [
        ("rule", "1 punt per hele euro", 42),
        ("campaign", "Dubbele punten weekend", 42),
    ]
    assert outcome.receipt.points_earned == 84


def test_a_fixed_bonus_with_a_minimum_spend(member, store):
    campaign(kind="fixed_bonus", bonus_points=50, minimum_spend=Decimal("30"), name_nl="Bonus")
    assert buy(member, store, "29.99").receipt.points_earned == 29
    assert buy(member, store, "30.00").receipt.points_earned == 80


def test_campaigns_count_by_the_purchase_time(member, store):
    now = timezone.now()
    campaign(starts_at=now - datetime.timedelta(days=10), ends_at=now - datetime.timedelta(days=5))
    late = buy(member, store, "10.00", occurred_at=now - datetime.timedelta(days=7))
    today = buy(member, store, "10.00")
    assert (late.receipt.points_earned, today.receipt.points_earned) == (20, 10)


def test_scope_by_store_category_and_tier(member, store):
    other = StoreFactory(code="UTR")
    campaign(stores=[other], name_nl="Alleen Utrecht")
    campaign(categories="coffee", name_nl="Koffie dubbel")
    outcome = buy(member, store, "20.00", lines=[("K", "coffee", "5.00"), ("B", "books", "15.00")])
    assert explanation(outcome)[1:] == [("campaign", "Koffie dubbel", 5)]
    gold = TierFactory(rank=2, threshold=10_000)
    TierFactory(rank=1, threshold=0)
    campaign(tiers=[gold], name_nl="Goud extra", kind="fixed_bonus", bonus_points=99)
    assert all(label != "Goud extra" for _s, label, _p in explanation(buy(member, store, "1.00")))


def test_scope_by_segment(member, store):
    loyal = SegmentFactory(min_points_balance=100)
    campaign(segment=loyal, kind="fixed_bonus", bonus_points=10, name_nl="Trouw")
    first = buy(member, store, "100.00")  # the member had 0 points before: not yet loyal
    second = buy(member, store, "1.00")
    assert first.receipt.points_earned == 100
    assert second.receipt.points_earned == 11


def test_inactive_campaigns_do_nothing(member, store):
    campaign(is_active=False)
    assert buy(member, store, "10.00").receipt.points_earned == 10
