"""The satisfaction question on the portal in headless Chromium, on a phone and a desktop."""

import pytest
from django.urls import reverse

from accounts.portal import portal_user_for
from campaigns.models import SatisfactionResponse
from tests.browser import screenshot
from tests.factories import MemberFactory
from tests.helpers import buy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(page, client, member):
    client.force_login(portal_user_for(member), backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": page.base_url}])


@pytest.mark.parametrize(
    ("size", "name"),
    [({"width": 390, "height": 844}, "phone"), ({"width": 1280, "height": 800}, "desktop")],
)
def test_a_member_answers_the_satisfaction_question(page, client, store, size, name):
    member = MemberFactory(first_name="Anna", language="nl")
    buy(member, store, "42.50")
    sign_in(page, client, member)
    page.set_viewport_size(size)
    # when she opens the question from her dashboard
    page.goto(page.base_url + "/")
    page.click(".satisfaction-offer a")
    page.wait_for_selector("fieldset.scores")
    assert "Amsterdam Centrum" in page.inner_text(".satisfaction-purchase")
    screenshot(page, f"portal-satisfaction-{name}")
    # and gives an 8
    page.click("fieldset.scores label.score:has-text('8')")
    page.click("form:has(fieldset.scores) button[type=submit]")
    page.wait_for_url(page.base_url + reverse("portal:dashboard"))
    # then
    assert SatisfactionResponse.objects.get(member=member).score == 8
    assert page.locator(".satisfaction-offer").count() == 0
