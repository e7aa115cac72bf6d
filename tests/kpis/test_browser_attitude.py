"""The attitude × behaviour grid and CSAT on the KPI dashboard, in headless Chromium."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import SatisfactionResponse, SurveyResponse
from points.models import Purchase
from tests.browser import admin_sign_in, screenshot
from tests.factories import MemberFactory, UserFactory
from tests.helpers import buy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def bought(member, store, days):
    buy(member, store, "20.00", occurred_at=timezone.now() - datetime.timedelta(days=days))
    return Purchase.objects.filter(member=member).latest("occurred_at")


@pytest.mark.parametrize(
    ("size", "name"),
    [({"width": 390, "height": 844}, "phone"), ({"width": 1280, "height": 800}, "desktop")],
)
def test_the_dashboard_shows_csat_and_the_attitude_grid(page, store, size, name):
    # given: 3 members who answered; one satisfied but not loyal, one loyal but dissatisfied
    fickle, unhappy, neutral = MemberFactory(), MemberFactory(), MemberFactory()
    purchase = bought(fickle, store, 2)
    SatisfactionResponse.objects.create(member=fickle, purchase=purchase, score=9)
    for days in (40, 30, 20, 10, 2):
        purchase = bought(unhappy, store, days)
    SatisfactionResponse.objects.create(member=unhappy, purchase=purchase, score=3)
    SurveyResponse.objects.create(member=neutral, recommend_score=7)
    UserFactory(username="beheer", is_superuser=True)
    # when
    page.set_viewport_size(size)
    admin_sign_in(page)
    page.goto(page.base_url + "/admin/insights/kpirefresh/")
    page.wait_for_selector("#attitude")
    # then: CSAT (1 of 2 answers satisfied → 50,0 in Dutch) and the grid with its chart
    tiles = page.inner_text(".kpi-tiles")
    assert "CSAT" in tiles
    assert "50,0" in tiles
    assert "33,3" in tiles  # 1 of 3 members satisfied but not loyal
    assert page.locator("#attitude svg.kpi-chart").count() == 1
    assert page.locator("#csat svg.kpi-chart").count() == 1
    page.locator("#attitude").scroll_into_view_if_needed()
    screenshot(page, f"kpi-attitude-grid-{name}")
    page.locator("#attitude").screenshot(
        path=f"test-artifacts/screenshots/kpi-attitude-grid-section-{name}.png"
    )
