"""Reads the portal and the back office share (points/selectors.py)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from points.models import LoyaltyProgram, Tier
from points.selectors import (
    ledger_entries_for,
    member_history_for,
    points_money_value,
    purchase_totals_by_store,
    tier_progress_percent,
)
from points.services import RefundRequest, points_adjust, refund_record
from points.tiers import TierProgress
from tests.factories import MemberFactory, UserFactory
from tests.helpers import buy


@pytest.mark.parametrize(
    ("next_tier", "points", "percent"),
    [
        (Tier(threshold=500), 125, 25),
        (Tier(threshold=500), 333, 67),
        (Tier(threshold=500), 800, 100),
        (Tier(threshold=0), 0, 100),
        (None, 1000, 100),  # at the top
    ],
)
def test_tier_progress_is_the_share_of_the_next_threshold_reached(next_tier, points, percent):
    progress = TierProgress(None, next_tier, points, None, None)
    assert tier_progress_percent(progress) == percent


@pytest.mark.parametrize(
    ("points", "point_value", "euros"),
    [(123, "0.05", "6.15"), (0, "0.05", "0.00"), (7, "0.0125", "0.09"), (-40, "0.01", "-0.40")],
)
def test_points_are_worth_the_point_value_to_the_cent(points, point_value, euros):
    program = LoyaltyProgram(point_value=Decimal(point_value))
    assert points_money_value(points, program=program) == Decimal(euros)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("group", "kinds"),
    [(None, ["adjustment", "earn"]), ("earned", ["earn"]), ("corrections", ["adjustment"])],
)
def test_the_ledger_can_be_read_by_group_of_kinds(store, group, kinds):
    # given
    member = MemberFactory()
    buy(member, store, "20.00")
    points_adjust(member=member, points=5, reason="Goodwill", actor=UserFactory())
    # when
    entries = ledger_entries_for(member=member, group=group)
    # then
    assert [entry.kind for entry in entries] == kinds


@pytest.mark.django_db
def test_the_ledger_can_be_read_between_two_days(store):
    # given
    member = MemberFactory()
    buy(member, store, "20.00")
    today = timezone.localdate()
    # then
    assert ledger_entries_for(member=member, date_from=today, date_to=today).count() == 1
    assert (
        ledger_entries_for(member=member, date_to=today - datetime.timedelta(days=1)).count() == 0
    )


@pytest.mark.django_db
def test_purchase_totals_by_store_put_the_most_visited_store_first(store, other_store):
    # given
    member = MemberFactory()
    buy(member, other_store, "10.00")
    buy(member, store, "20.00")
    buy(member, store, "5.00")
    # when
    totals = list(purchase_totals_by_store(member=member))
    # then
    assert [(row["store__code"], row["count"], row["amount"]) for row in totals] == [
        (store.code, 2, Decimal("25.00")),
        (other_store.code, 1, Decimal("10.00")),
    ]


@pytest.mark.django_db
def test_an_entry_happened_when_its_purchase_or_refund_did(store):
    # given a purchase made 50 days ago, posted today, and refunded today
    member = MemberFactory()
    made = timezone.now() - datetime.timedelta(days=50)
    buy(member, store, "40.00", transaction_id="LATE", occurred_at=made)
    refund_record(
        request=RefundRequest(
            store=store, transaction_id="LATE", refund_id="R1", amount=Decimal("40.00")
        )
    )
    # when
    refund, purchase = member_history_for(member=member)
    # then the purchase's points are dated by the purchase, the refund's by the refund
    assert (purchase.kind, purchase.happened_at) == ("earn", made)
    assert refund.kind == "refund_reversal"
    assert refund.happened_at > timezone.now() - datetime.timedelta(minutes=5)
