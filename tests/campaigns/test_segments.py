from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.selectors import segment_members
from campaigns.services import member_stats_refresh
from loyalty_site import roles
from points.services import points_adjust
from tests.factories import MemberFactory, SegmentFactory, StoreFactory, TierFactory, UserFactory
from tests.helpers import buy

from .helpers import bought_days_ago

pytestmark = pytest.mark.django_db


def names(segment) -> set[str]:
    return set(segment_members(segment).values_list("first_name", flat=True))


def member(name, **kwargs):
    return MemberFactory(first_name=name, **kwargs)


def test_loyal_customers_are_members_with_at_least_n_points(store):
    loyal, new = member("Loyal"), member("New")
    buy(loyal, store, "150.00")
    buy(new, store, "20.00")
    assert names(SegmentFactory(min_points_balance=100)) == {"Loyal"}


def test_segments_by_tier():
    TierFactory(rank=1, threshold=0)
    silver = TierFactory(rank=2, threshold=100, name_nl="Zilver")
    silver_member, bronze_member = member("Silver"), member("Bronze")
    points_adjust(
        member=silver_member, points=150, reason="t", actor=UserFactory(), counts_for_tier=True
    )
    points_adjust(
        member=bronze_member, points=10, reason="t", actor=UserFactory(), counts_for_tier=True
    )
    segment = SegmentFactory()
    segment.tiers.set([silver])
    assert names(segment) == {"Silver"}


def test_days_since_last_purchase(store):
    recent, lapsed = member("Recent"), member("Lapsed")
    member("Never")
    bought_days_ago(recent, store, 5)
    bought_days_ago(lapsed, store, 70)
    assert names(SegmentFactory(min_days_since_last_purchase=60)) == {"Lapsed"}
    assert names(SegmentFactory(max_days_since_last_purchase=30)) == {"Recent"}


def test_purchases_and_spend_in_a_period(store):
    frequent, big, old = member("Frequent"), member("Big"), member("Old")
    for _ in range(3):
        bought_days_ago(frequent, store, 10, "10.00")
    bought_days_ago(big, store, 10, "300.00")
    bought_days_ago(old, store, 80, "500.00")
    assert names(SegmentFactory(min_purchases=3, period_days=30)) == {"Frequent"}
    assert names(SegmentFactory(min_spend=Decimal("200"), period_days=30)) == {"Big"}
    # at most one purchase in 30 days: includes members without any
    assert names(SegmentFactory(max_purchases=1, period_days=30)) == {"Big", "Old"}


def test_store_and_channel(store):
    web = StoreFactory(code="WEB", channel="online")
    online, offline = member("Online"), member("Offline")
    buy(online, web, "10.00")
    buy(offline, store, "10.00")
    segment = SegmentFactory()
    segment.stores.set([web])
    assert names(segment) == {"Online"}
    assert names(SegmentFactory(channel="offline")) == {"Offline"}


def test_rfm_bands(store):
    people = [member(f"M{index}") for index in range(10)]
    for index, person in enumerate(people):
        for _ in range(index + 1):
            bought_days_ago(person, store, 50 - index * 4, f"{10 * (index + 1)}.00")
    member_stats_refresh()
    best = names(SegmentFactory(min_recency_score=5, min_frequency_score=5, min_monetary_score=5))
    assert best == {"M8", "M9"}
    assert names(SegmentFactory(max_frequency_score=1)) == {"M0", "M1"}


def test_consent_for_a_channel():
    member("Yes", email_consent_at=timezone.now())
    member("No")
    member("NoAddress", email=None, email_consent_at=timezone.now())
    assert names(SegmentFactory(consent_channel="email")) == {"Yes"}


def test_conditions_combine_with_and(store):
    both = member("Both", email_consent_at=timezone.now())
    points_only = member("Points")
    buy(both, store, "150.00")
    buy(points_only, store, "150.00")
    assert names(SegmentFactory(min_points_balance=100, consent_channel="email")) == {"Both"}


def test_admin_shows_the_size_and_exports_members_to_csv(client, store):
    loyal = member("Loyal", email="loyal@example.com")
    buy(loyal, store, "150.00")
    member("Other")
    segment = SegmentFactory(name="Loyal customers", min_points_balance=100)
    client.force_login(UserFactory(role=roles.MARKETING))
    page = client.get(reverse("admin:campaigns_segment_change", args=[segment.pk]))
    assert page.status_code == 200
    assert '<div class="readonly">1</div>' in page.content.decode()
    response = client.post(
        reverse("admin:campaigns_segment_changelist"),
        {"action": "export_csv", "_selected_action": [segment.pk]},
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    lines = content.strip().splitlines()
    assert lines[0].startswith("segment,card_number")
    assert len(lines) == 2
    assert loyal.card_number in lines[1]
    assert "loyal@example.com" in lines[1]


def test_cashiers_cannot_export_segments(client):
    segment = SegmentFactory()
    client.force_login(UserFactory(role=roles.CASHIER))
    response = client.post(
        reverse("admin:campaigns_segment_changelist"),
        {"action": "export_csv", "_selected_action": [segment.pk]},
    )
    # Cashiers read segments (roles.py), but the export is not among their actions.
    assert response.status_code in (200, 302, 403)
    assert not response.get("Content-Type", "").startswith("text/csv")
    assert "export_csv" not in response.content.decode()
