"""Tiers reached by spend instead of points (programme setting), same window and grace."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.portal import portal_user_for
from points.models import EarningRule, LoyaltyProgram, PointAccount, TierChange
from points.services import RefundRequest, refund_record
from points.services.tiers import tiers_evaluate_due
from tests.api.openapi import assert_conforms
from tests.factories import TierFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def spend_tiers(db):
    program = LoyaltyProgram.current()
    program.tier_basis = "spend"
    program.save()
    # A point per ten euros: by points these members would stay in Brons for long.
    EarningRule.objects.filter(kind="base_rate").update(points_per_unit=Decimal("0.1"))
    return (
        TierFactory(rank=1, threshold=0, name_nl="Brons"),
        TierFactory(rank=2, threshold=500, name_nl="Zilver"),
        TierFactory(rank=3, threshold=1500, name_nl="Goud"),
    )


def tier_of(member) -> str:
    return PointAccount.objects.select_related("tier").get(member=member).tier.name_nl


def test_spending_past_a_threshold_upgrades_at_once(spend_tiers, member, store):
    buy(member, store, "499.99")
    assert tier_of(member) == "Brons"
    # when: one more euro in the window (60 points in all, far below 500)
    buy(member, store, "1.00")
    # then
    assert tier_of(member) == "Zilver"
    change = TierChange.objects.filter(reason="upgrade").get()
    assert (change.to_tier.name_nl, change.qualifying_points) == ("Zilver", 500)


def test_discounts_and_refunds_do_not_count_as_spend(spend_tiers, member, store):
    buy(member, store, "600.00")
    refund_record(
        request=RefundRequest(
            store=store, transaction_id=buy.last_id(), refund_id="R1", amount=Decimal("200.00")
        )
    )
    buy(member, store, "50.00")
    assert tier_of(member) == "Zilver"  # upgraded by the first purchase; kept (grace)
    from points.tiers import qualifying_value

    assert qualifying_value(PointAccount.objects.get(member=member)) == 450


def test_a_downgrade_by_spend_waits_for_the_end_of_the_grace(spend_tiers, member, store):
    buy(member, store, "600.00")
    refund_record(
        request=RefundRequest(
            store=store, transaction_id=buy.last_id(), refund_id="R", amount=Decimal("600.00")
        )
    )
    # spend is back to 0, but the tier holds until valid_until
    run = tiers_evaluate_due(now=timezone.now() + datetime.timedelta(days=300))
    assert (run.downgraded, tier_of(member)) == (0, "Zilver")
    # when the period has ended
    run = tiers_evaluate_due(now=timezone.now() + datetime.timedelta(days=370))
    # then
    assert (run.downgraded, tier_of(member)) == (1, "Brons")


def test_a_member_still_spending_enough_keeps_the_tier_another_window(spend_tiers, member, store):
    buy(member, store, "600.00")
    PointAccount.objects.filter(member=member).update(
        tier_valid_until=timezone.now() - datetime.timedelta(days=1)
    )
    run = tiers_evaluate_due()
    assert (run.renewed, run.downgraded) == (1, 0)
    assert tier_of(member) == "Zilver"


def test_spend_outside_the_window_does_not_count(spend_tiers, member, store):
    buy(member, store, "600.00", occurred_at=timezone.now() - datetime.timedelta(days=80))
    program = LoyaltyProgram.current()
    program.qualifying_window_months = 2
    program.save()
    PointAccount.objects.filter(member=member).update(
        tier_valid_until=timezone.now() - datetime.timedelta(days=1)
    )
    tiers_evaluate_due()
    assert tier_of(member) == "Brons"


def test_the_summary_speaks_euros_when_tiers_go_by_spend(spend_tiers, pos, member, store):
    buy(member, store, "120.00")
    response = pos.get(f"/api/v1/members/{member.card_number}/")
    assert_conforms(response, "/api/v1/members/{card_number}/", "GET")
    body = response.json()
    assert body["tier_basis"] == "spend"
    assert body["qualifying_spend"] == "120.00"
    assert body["spend_to_next_tier"] == "380.00"
    assert body["points_to_next_tier"] is None
    assert body["qualifying_points"] == 12
    assert body["next_tier"]["name"] == "Zilver"


def test_the_summary_speaks_points_by_default(pos, member, store):
    TierFactory(rank=1, threshold=0, name_nl="Brons")
    TierFactory(rank=2, threshold=500, name_nl="Zilver")
    buy(member, store, "120.00")
    body = pos.get(f"/api/v1/members/{member.card_number}/").json()
    assert body["tier_basis"] == "points"
    assert (body["qualifying_spend"], body["spend_to_next_tier"]) == (None, None)
    assert body["points_to_next_tier"] == 380


def test_the_portal_shows_the_spend_to_the_next_tier(spend_tiers, client, member, store):
    buy(member, store, "120.00")
    client.force_login(portal_user_for(member))
    dashboard = client.get(reverse("portal:dashboard")).content.decode().replace("\xa0", " ")
    assert "Besteed nog € 380,00 om Zilver te bereiken." in dashboard
    tiers = client.get(reverse("portal:tiers")).content.decode().replace("\xa0", " ")
    assert "Benodigde besteding" in tiers
    assert "€ 1.500,00" in tiers
    assert "Tot nu toe: € 120,00." in tiers
