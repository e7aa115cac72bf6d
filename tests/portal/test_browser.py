"""The portal end to end in headless Chromium: sign in by link, see the balance, redeem, see
the code. Screenshots land in test-artifacts/screenshots/."""

import pytest
from django.core import mail

from points.services import points_adjust
from rewards.models import IssuedReward
from tests.browser import screenshot
from tests.factories import MemberFactory, RewardFactory, TierFactory, UserFactory
from tests.helpers import buy

from .helpers import link_from_outbox

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_sign_in_by_link_see_the_balance_redeem_and_see_the_new_code(page, store):
    # given a member with points and a reward they can afford
    TierFactory(rank=1, threshold=0, name_nl="Brons")
    TierFactory(rank=2, threshold=500, name_nl="Zilver")
    member = MemberFactory(email="anna@example.com", first_name="Anna", language="nl")
    buy(member, store, "320.00")
    points_adjust(member=member, points=100, reason="welkom", actor=UserFactory())
    reward = RewardFactory(points_cost=250, name_nl="10% korting", name_en="10% off")

    # when she asks for a sign-in link
    page.goto(page.base_url + "/login/")
    page.fill("#id_link-email", "anna@example.com")
    page.click("form:has(#id_link-email) button[type=submit]")
    page.wait_for_url("**/login/sent/")
    link = link_from_outbox()
    assert mail.outbox[0].to == ["anna@example.com"]

    # and opens it, and presses the button
    page.goto(link)
    page.click("#sign-in")
    page.wait_for_url(page.base_url + "/")
    # then she sees her balance
    assert page.inner_text("#points-balance") == "420"
    screenshot(page, "portal-dashboard")

    # when she exchanges points for the reward, confirming first
    page.click("nav a[href='/rewards/']")
    screenshot(page, "portal-rewards")
    page.click(f"a[href='/rewards/{reward.pk}/']")
    page.click("#confirm-redeem")
    page.wait_for_url("**/codes/?new=*")
    # then the new code is on the page
    issued = IssuedReward.objects.get(member=member)
    assert issued.display_code in page.inner_text("main")
    screenshot(page, "portal-codes")
    page.click("nav a[href='/']")
    assert page.inner_text("#points-balance") == "170"


def test_the_card_on_a_phone(page, store):
    member = MemberFactory(email="kees@example.com")
    from accounts.portal import login_link_create

    token = login_link_create(member=member)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base_url}/login/link/{token}/")
    page.click("#sign-in")
    page.goto(page.base_url + "/card/")
    assert member.card_number in page.inner_text(".card-number")
    assert page.locator(".qr svg").count() == 1
    assert page.locator(".barcode svg").count() == 1
    screenshot(page, "portal-card-phone")
