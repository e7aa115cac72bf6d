"""Every portal page, signed in and not, in headless Chromium: no serious or critical axe-core
violation at phone and desktop size, and no sideways scrolling at 360 px. Screenshots of each
page at both sizes land in test-artifacts/screenshots/ (a11y-<page>-<size>.png)."""

import pytest

from accounts.models import Branding
from accounts.portal import login_link_create
from tests.a11y import DESKTOP, NARROW, PHONE, axe_problems, horizontal_overflow
from tests.browser import screenshot

from .browsing import first_code, member_with_history, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _check(browser_page, name: str, path: str) -> list[str]:
    problems = []
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP), ("narrow", NARROW)):
        browser_page.set_viewport_size(size)
        response = browser_page.goto(browser_page.base_url + path)
        assert response is not None
        if response.status != 200:
            problems.append(f"{path}: HTTP {response.status}")
            break
        if size_name == "narrow":
            overflow = horizontal_overflow(browser_page)
            if overflow > 0:
                problems.append(f"{path} at 360 px: {overflow} px wider than the screen")
            continue
        problems += [f"{path} ({size_name}): {problem}" for problem in axe_problems(browser_page)]
        screenshot(browser_page, f"a11y-{name}-{size_name}")
    return problems


def _assert_all_pass(browser_page, pages: dict[str, str]) -> None:
    problems = []
    for name, path in pages.items():
        problems += _check(browser_page, name, path)
    assert problems == [], "\n".join(problems)


def test_every_page_of_a_signed_in_member_is_accessible_and_fits_a_phone(page):
    member, programme = member_with_history()
    code = first_code(member)
    sign_in(page, member)
    pages = {
        "dashboard": "/",
        "card": "/card/",
        "history": "/history/",
        "history-filtered": "/history/?kind=earned",
        "credit-history": "/history/credit/",
        "rewards": "/rewards/",
        "reward-confirm": f"/rewards/{programme.coffee.pk}/",
        "codes": "/codes/",
        "code-detail": f"/codes/{code.code}/",
        "profile": "/profile/",
        "password": "/profile/password/",
        "close": "/profile/close/",
        "survey": "/survey/",
        "earn": "/earn/",
        "tiers": "/tiers/",
        "referral": "/invite/",
    }
    _assert_all_pass(page, pages)


def test_every_page_before_signing_in_is_accessible_and_fits_a_phone(page):
    member, _programme = member_with_history()
    token = login_link_create(member=member)
    pages = {
        "login": "/login/",
        "login-sent": "/login/sent/",
        "login-link": f"/login/link/{token}/",
        "login-link-used": "/login/link/not-a-token/",
        "signup": "/signup/",
        "signup-invited": "/signup/?ref=ANNA2345",
    }
    _assert_all_pass(page, pages)


def test_the_pages_are_accessible_in_english_too(page):
    member, _programme = member_with_history(language="en")
    sign_in(page, member)
    _assert_all_pass(page, {"en-dashboard": "/", "en-earn": "/earn/", "en-tiers": "/tiers/"})


def test_a_shop_with_a_light_colour_and_a_logo_stays_readable(page):
    # given a shop whose colour is a light yellow, with its logo and support text
    member, _programme = member_with_history()
    branding = Branding.current()
    branding.programme_name = "Koffieclub"
    branding.primary_colour = "#FFD700"
    branding.logo = _logo_png()
    branding.logo_content_type = "image/png"
    branding.support_text_nl = "Vragen? Bel 020 123 45 67."
    branding.save()
    sign_in(page, member)
    _assert_all_pass(page, {"branded-dashboard": "/", "branded-rewards": "/rewards/"})
    # then the header carries the logo and name in black on the yellow
    assert page.title().endswith("· Koffieclub")
    assert page.locator(".brand img.logo").evaluate("img => img.naturalWidth") == 120
    colour = page.locator(".brand").evaluate("el => getComputedStyle(el).color")
    assert colour == "rgb(0, 0, 0)"
    assert "Bel 020 123 45 67" in page.inner_text("footer")


def _logo_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "#7F6B00").save(buffer, format="PNG")
    return buffer.getvalue()
