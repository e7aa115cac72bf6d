"""The programme's pages in headless Chromium, at phone and desktop size: what a member sees
of the ways to earn and spend, the tiers, inviting a friend and their own numbers on the
overview. Screenshots land in test-artifacts/screenshots/portal-<page>-<size>.png."""

import pytest

from tests.a11y import DESKTOP, PHONE
from tests.browser import screenshot

from .browsing import member_with_history, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SIZES = {"phone": PHONE, "desktop": DESKTOP}


def test_the_overview_shows_the_euro_value_next_reward_and_savings(page):
    member, _programme = member_with_history()
    sign_in(page, member)
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        page.goto(page.base_url + "/")
        balance = int(page.inner_text("#points-balance"))
        assert balance == 290
        assert page.inner_text("#points-value") == "Waard €\xa02,90 aan beloningen"
        # 150 for the coffee is within reach; the 10% discount (500) is next
        assert "Nog 210 punten tot 10% korting" in page.inner_text("#next-reward")
        progress = page.locator("#next-reward [role=progressbar]")
        assert progress.get_attribute("aria-valuenow") == "58"
        assert "Je hebt €\xa07,50 bespaard" in page.inner_text("#savings")
        screenshot(page, f"portal-dashboard-extras-{size_name}")


def test_ways_to_earn_and_spend_then_the_tier_table(page):
    member, _programme = member_with_history()
    sign_in(page, member)
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        page.goto(page.base_url + "/")
        page.click("footer a[href='/earn/']")
        rules = page.inner_text("#earning-rules")
        assert "1 punt per euro die je besteedt" in rules
        assert "×2 punten" in rules
        assert "op koffie" in rules
        assert "×1,25 punten in Zilver" in rules
        assert "Dubbele punten weekend" in page.inner_text("#bonus-campaigns")
        assert "Review schrijven" in page.inner_text("#activities")
        assert page.inner_text("#point-value") == "100 punten zijn €\xa01,00 waard aan beloningen."
        screenshot(page, f"portal-earn-{size_name}")

        page.click("footer a[href='/tiers/']")
        current = page.locator("#tier-table tr.current")
        assert current.count() == 1
        assert "Brons" in current.inner_text()
        assert "Je niveau" in current.inner_text()
        assert "Welkom in Goud" in page.inner_text("#tier-table")
        screenshot(page, f"portal-tiers-{size_name}")


def test_a_member_copies_the_invitation_link_and_a_friend_signs_up_with_it(page):
    member, _programme = member_with_history()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.base_url)
    sign_in(page, member)
    link = f"{page.base_url}/signup/?ref=ANNA2345"
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        page.goto(page.base_url + "/invite/")
        assert page.input_value("#share-link") == link
        assert "€ 5 korting en 50 bonuspunten" in page.inner_text("#referral-terms")
        page.click("#copy-link")
        page.wait_for_function("document.getElementById('copy-status').textContent !== ''")
        assert page.inner_text("#copy-status") == "Gekopieerd!"
        assert page.evaluate("navigator.clipboard.readText()") == link
        screenshot(page, f"portal-referral-{size_name}")

    # the friend opens the link, signed out: the code is filled in
    page.click("form.logout button")
    page.goto(link)
    assert page.input_value("#id_referral_code") == "ANNA2345"
