"""Unsubscribing from a message's link and erasing a member, in headless Chromium. Screenshots
land in test-artifacts/screenshots/."""

import pytest
from django.utils import timezone

from accounts.models import Member
from accounts.unsubscribe import unsubscribe_token
from loyalty_site import roles
from tests.browser import screenshot
from tests.factories import MemberFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize(("size", "width", "height"), [("phone", 390, 844), ("desktop", 1280, 800)])
def test_a_member_unsubscribes_from_the_link_without_signing_in(page, size, width, height):
    # given a member with e-mail consent and the link from a message
    member = MemberFactory(email_consent_at=timezone.now())
    token = unsubscribe_token(member_id=member.pk, channel="email")
    page.set_viewport_size({"width": width, "height": height})
    # when they open it, they are asked first
    page.goto(f"{page.base_url}/unsubscribe/{token}/")
    assert "e-mail" in page.inner_text("main")
    screenshot(page, f"unsubscribe-ask-{size}")
    assert Member.objects.get(pk=member.pk).email_consent_at is not None
    # and one press unsubscribes them
    page.click("#unsubscribe")
    page.wait_for_selector("text=Je bent afgemeld")
    screenshot(page, f"unsubscribe-done-{size}")
    assert Member.objects.get(pk=member.pk).email_consent_at is None


def test_a_manager_erases_a_member_from_the_member_page(page):
    member = MemberFactory(first_name="Zoë", last_name="Brouwer")
    manager = UserFactory(role=roles.MANAGER, password="correct horse battery")
    page.goto(page.base_url + "/admin/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.goto(f"{page.base_url}/admin/accounts/member/{member.pk}/action/erase/")
    page.fill("#id_card_number", member.card_number)
    page.fill("#id_reason", "Verzoek per brief van 12 mei")
    screenshot(page, "erase-member-confirm")
    page.click(".submit-row input[type=submit]")
    page.wait_for_url(f"**/admin/accounts/member/{member.pk}/change/")
    screenshot(page, "erase-member-done")
    erased = Member.objects.get(pk=member.pk)
    assert (erased.first_name, erased.email) == ("", None)
