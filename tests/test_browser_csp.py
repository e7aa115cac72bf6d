"""The Content-Security-Policy in a real browser: every kind of page works under it, and the
browser reports no violation (an inline script, style or attribute the policy refuses)."""

import pytest
from django.core import mail

from accounts.portal import login_link_create
from points.services import points_adjust
from tests.browser import admin_sign_in, screenshot
from tests.factories import MemberFactory, TierFactory, UserFactory
from tests.helpers import buy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# Redoc's footer shows the Redocly logo from its CDN: the policy refuses it on purpose (nothing
# loads from third parties) and Redoc leaves it out when it cannot load.
REFUSED_ON_PURPOSE = ("https://cdn.redoc.ly/",)


@pytest.fixture
def violations(page):
    """What the browser refused because of the policy, as it reports it on the console."""
    seen: list[str] = []

    def note(message):
        text = message.text
        if "Content Security Policy" in text and not any(url in text for url in REFUSED_ON_PURPOSE):
            seen.append(text)

    page.on("console", note)
    return seen


def open_page(page, path: str, ready: str, name: str, size=DESKTOP):
    page.set_viewport_size(size)
    response = page.goto(page.base_url + path)
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe" not in policy
    page.wait_for_selector(ready)
    screenshot(page, name)


def staff_sign_in(page):
    UserFactory(username="beheer", is_superuser=True)
    admin_sign_in(page)


def test_the_portal_works_under_the_policy(page, violations, store):
    # given: a member between two tiers (the tier's colour and the progress bar are drawn)
    TierFactory(rank=1, threshold=0, name_nl="Brons", colour="#cd7f32")
    TierFactory(rank=2, threshold=500, name_nl="Zilver")
    member = MemberFactory(email="anna@example.com", language="nl")
    buy(member, store, "120.00")
    points_adjust(member=member, points=100, reason="welkom", actor=UserFactory())
    # when: signed out, then signed in on a phone and on a desktop
    for size, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
        open_page(page, "/login/", "#id_link-email", f"csp-portal-login-{label}", size)
    # asking for a link leads to a page that can send it again
    page.fill("#id_link-email", "anna@example.com")
    page.click("form:has(#id_link-email) button[type=submit]")
    page.wait_for_url("**/login/sent/")
    page.click("#send-again button")
    page.wait_for_url("**/login/sent/")
    screenshot(page, "csp-portal-link-sent")
    assert len(mail.outbox) == 2
    page.goto(f"{page.base_url}/login/link/{login_link_create(member=member)}/")
    page.click("#sign-in")
    page.wait_for_url(page.base_url + "/")
    for size, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
        open_page(page, "/", "#points-balance", f"csp-portal-dashboard-{label}", size)
        # then: the tier's colour and the progress are drawn without style attributes
        assert page.locator(".tier-dot circle").get_attribute("fill") == "#cd7f32"
        bar = page.locator(".progress rect").bounding_box()
        track = page.locator(".progress").bounding_box()
        assert 0 < bar["width"] < track["width"]
    open_page(page, "/card/", ".qr svg", "csp-portal-card-phone", PHONE)
    # the barcode keeps its white background and dark bars (no style attributes)
    fills = page.locator(".barcode svg rect").evaluate_all(
        "rects => rects.slice(0, 2).map(rect => getComputedStyle(rect).fill)"
    )
    assert fills == ["rgb(255, 255, 255)", "rgb(17, 24, 39)"]
    # and the browser refused nothing
    assert violations == []


def test_admin_and_the_member_page_work_under_the_policy(page, violations, store):
    member = MemberFactory(first_name="Anna")
    buy(member, store, "42.00")
    staff_sign_in(page)
    open_page(page, "/admin/", "#content h1", "csp-admin-index")
    open_page(
        page, f"/admin/accounts/member/{member.pk}/change/", ".member-360", "csp-admin-member"
    )
    # the page's own stylesheet applied (an inline <style> with the nonce)
    assert (
        page.locator(".member-360 td.number").first.evaluate(
            "cell => getComputedStyle(cell).textAlign"
        )
        == "right"
    )
    # admin's scripts run: the date shortcuts are added by JavaScript
    open_page(page, "/admin/auth/user/add/", "#id_username", "csp-admin-user-add")
    open_page(page, "/admin/points/purchase/", "#content h1", "csp-admin-purchases")
    open_page(page, "/admin/campaigns/bonuscampaign/add/", ".datetimeshortcuts", "csp-admin-dates")
    assert violations == []


def test_the_kpi_dashboard_and_its_charts_work_under_the_policy(page, violations, store):
    for index in range(3):
        buy(MemberFactory(), store, f"{20 + index}.00")
    staff_sign_in(page)
    open_page(page, "/admin/insights/kpirefresh/", ".kpi-tiles", "csp-kpi-dashboard")
    # the dashboard's inline stylesheet applied: tiles in a grid
    assert page.locator(".kpi-tiles").evaluate("tiles => getComputedStyle(tiles).display") == "grid"
    assert violations == []


def test_the_api_docs_work_under_the_policy(page, violations):
    open_page(page, "/api/docs/", ".opblock", "csp-api-swagger")
    open_page(page, "/api/redoc/", "h1", "csp-api-redoc")
    assert "Loyalty engine POS API" in page.inner_text("h1")
    # Redoc's search runs (in a worker) and finds an operation
    page.fill("input[placeholder='Search...']", "purchase")
    page.wait_for_selector("[data-role='search:results'] li, .search-results li, li[data-item-id]")
    assert violations == []
