"""The loyalty score and stamp cards in headless Chromium, at phone and desktop size.
Screenshots land in test-artifacts/screenshots/portal-score-<page>-<size>.png."""

from decimal import Decimal

import pytest

from campaigns.models import Trigger
from points.models import ScoreNorm, ScoreSource
from points.services import activity_record
from tests.a11y import DESKTOP, PHONE
from tests.browser import screenshot
from tests.factories import ActivityTypeFactory, AutomationFactory, MemberFactory, StoreFactory
from tests.helpers import buy

from .browsing import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SIZES = {"phone": PHONE, "desktop": DESKTOP}


def test_the_member_sees_their_score_what_earns_it_and_their_stamp_card(page):
    # given: norms, a coffee stamp card and a member with three coffees and a review
    review = ActivityTypeFactory(code="review", name_nl="Review schrijven", name_en="Review")
    for source, value, activity_type in [
        (ScoreSource.PURCHASE, "10", None),
        (ScoreSource.PURCHASE_AMOUNT, "1", None),
        (ScoreSource.PORTAL_VISIT, "2", None),
        (ScoreSource.ACTIVITY, "15", review),
    ]:
        ScoreNorm.objects.create(source=source, value=Decimal(value), activity_type=activity_type)
    AutomationFactory(
        name="Koffiekaart",
        trigger=Trigger.NTH_PURCHASE,
        every_n=10,
        category="koffie",
        reward=None,
        bonus_points=100,
        cooldown_days=0,
    )
    store = StoreFactory(code="AMS01", name="Amsterdam Centrum")
    member = MemberFactory(first_name="Anna", language="nl")
    for _ in range(3):
        buy(member, store, "12.50", lines=[("KOF-250", "koffie", "12.50")])
    activity_record(member=member, activity_type=review, reference="review-1")
    sign_in(page, member)  # the first page of the day scores the visit: 2
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        page.goto(page.base_url + "/")
        stamps = page.inner_text("#stamp-cards")
        assert "Koffiekaart" in stamps
        assert "3 van 10 (koffie)" in stamps
        assert page.locator("#stamp-cards .stamp.is-stamped").count() == 3
        screenshot(page, f"portal-score-dashboard-{size_name}")
        page.goto(page.base_url + "/earn/")
        # 3 × 10 + 3 × 12 + 15 + 2
        assert page.inner_text("#score-total") == "83"
        section = page.inner_text("#loyalty-score")
        assert "geen geld" in section
        ways = page.inner_text("#score-ways")
        assert "Review schrijven: +15" in ways
        assert "Aankoop (per euro): 1 per euro die je besteedt" in ways
        page.locator("#loyalty-score").scroll_into_view_if_needed()
        screenshot(page, f"portal-score-earn-{size_name}")
