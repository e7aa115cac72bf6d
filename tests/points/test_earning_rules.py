"""Earning rules through the purchase service: what a marketing person configures in admin."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from points.models import EarningRule
from tests.factories import EarningRuleFactory, StoreFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def earned(outcome) -> tuple[int, list[tuple[str, int]]]:
    receipt = outcome.receipt
    return receipt.points_earned, [(line.label, line.points) for line in receipt.explanation]


def test_the_default_rule_rounds_down_to_whole_points(member, store):
    assert earned(buy(member, store, "19.99"))[0] == 19


def test_a_higher_priority_base_rate_replaces_the_default(member, store):
    online = StoreFactory(code="WEB", channel="online")
    EarningRuleFactory(
        kind="base_rate",
        points_per_unit=Decimal("2"),
        channel="online",
        priority=10,
        name_nl="Online dubbel tarief",
    )
    assert earned(buy(member, online, "10.00")) == (20, [("Online dubbel tarief", 20)])
    assert earned(buy(member, store, "10.00"))[0] == 10


def test_a_multiplier_adds_the_base_points_of_what_it_covers_again(member, store):
    EarningRuleFactory(
        kind="multiplier", multiplier=Decimal("3"), categories="Coffee", name_nl="Koffie x3"
    )
    outcome = buy(
        member, store, "30.00", lines=[("C1", "coffee", "10.00"), ("B1", "books", "20.00")]
    )
    assert earned(outcome) == (50, [("1 punt per hele euro", 30), ("Koffie x3", 20)])


def test_a_fixed_bonus_needs_its_minimum_spend(member, store):
    EarningRuleFactory(
        kind="fixed_bonus", bonus_points=50, minimum_spend=Decimal("75.00"), name_nl="Bonus"
    )
    assert earned(buy(member, store, "74.99"))[0] == 74
    assert earned(buy(member, store, "75.00")) == (
        125,
        [("1 punt per hele euro", 75), ("Bonus", 50)],
    )


def test_a_rule_scoped_to_stores_applies_only_there(member, store, other_store):
    EarningRuleFactory(kind="fixed_bonus", bonus_points=5, stores=[other_store], name_nl="Utrecht")
    assert earned(buy(member, store, "10.00"))[0] == 10
    assert earned(buy(member, other_store, "10.00"))[0] == 15


def test_excluded_categories_earn_nothing(member, store):
    EarningRule.objects.filter(kind="base_rate").update(excluded_categories="tobacco, giftcards")
    outcome = buy(
        member, store, "30.00", lines=[("T1", "Tobacco", "12.00"), ("B1", "books", "18.00")]
    )
    assert earned(outcome)[0] == 18


def test_sku_scoped_rules_match_skus_case_insensitively(member, store):
    EarningRuleFactory(kind="fixed_bonus", bonus_points=7, skus="ABC-1", name_nl="Product")
    assert earned(buy(member, store, "5.00", lines=[("abc-1", "", "5.00")]))[0] == 12
    assert earned(buy(member, store, "5.00", lines=[("xyz", "", "5.00")]))[0] == 5


def test_inactive_rules_and_rules_outside_their_window_do_not_count(member, store):
    now = timezone.now()
    EarningRuleFactory(kind="fixed_bonus", bonus_points=5, is_active=False)
    EarningRuleFactory(
        kind="fixed_bonus", bonus_points=5, valid_from=now + datetime.timedelta(days=1)
    )
    EarningRuleFactory(
        kind="fixed_bonus", bonus_points=5, valid_until=now - datetime.timedelta(days=1)
    )
    assert earned(buy(member, store, "10.00")) == (10, [("1 punt per hele euro", 10)])


def test_without_a_base_rate_multipliers_add_nothing(member, store):
    EarningRule.objects.filter(kind="base_rate").update(is_active=False)
    EarningRuleFactory(kind="multiplier", multiplier=Decimal("2"))
    assert earned(buy(member, store, "10.00")) == (0, [])


def test_explanation_lists_rules_by_priority(member, store):
    EarningRuleFactory(kind="fixed_bonus", bonus_points=1, priority=1, name_nl="Laag")
    EarningRuleFactory(kind="fixed_bonus", bonus_points=2, priority=5, name_nl="Hoog")
    labels = [label for label, _points in earned(buy(member, store, "10.00"))[1]]
    assert labels == ["1 punt per hele euro", "Hoog", "Laag"]
