"""The automation page in a real browser: a marketer sees the preview and the dry run.
Screenshots in test-artifacts/screenshots/."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from loyalty_site import roles
from tests.browser import SCREENSHOTS, screenshot
from tests.factories import AutomationFactory, MemberFactory, RewardFactory, UserFactory

from .helpers import bought_days_ago


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_marketer_sees_the_preview_and_the_dry_run(page, store):
    # given a reactivation offer with a 20% code and dormant members, some without consent
    automation = AutomationFactory(
        name="Terug van weggeweest",
        trigger="dormant",
        days=60,
        bonus_points=50,
        reward=RewardFactory(
            points_cost=0,
            value=Decimal("20"),
            minimum_spend=Decimal("15"),
            name_nl="20% korting",
            name_en="20% off",
        ),
        message_subject_nl="We missen je, {first_name}",
        message_body_nl=(
            "Hoi {first_name},\n\nHet is een tijdje geleden. Met deze code krijg je {reward}: "
            "{code}\nGeldig tot {expires_at}.\n\nJe hebt nu {points_balance} punten: {portal_url}"
        ),
        message_sms_nl="Hoi {first_name}! {reward} met code {code}, tot {expires_at}.",
        message_subject_en="We miss you, {first_name}",
        message_body_en=(
            "Hi {first_name},\n\nIt has been a while. This code gets you {reward}: {code}\n"
            "Valid until {expires_at}.\n\nYou now have {points_balance} points: {portal_url}"
        ),
        message_sms_en="Hi {first_name}! {reward} with code {code}, until {expires_at}.",
    )
    names = ["Sara Jansen", "Daan de Vries", "Emma Bakker", "Lucas Visser", "Noor Smit"]
    for index, name in enumerate(names):
        first, last = name.split(" ", 1)
        member = MemberFactory(
            first_name=first,
            last_name=last,
            email_consent_at=timezone.now() if index % 2 == 0 else None,
        )
        bought_days_ago(member, store, 70 + index, f"{40 + index * 7}.50")
    UserFactory(username="marketing", role=roles.MARKETING)
    # when the marketer opens the automation
    page.goto(page.base_url + "/admin/login/")
    page.fill("#id_username", "marketing")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#content h1")
    page.goto(f"{page.base_url}/admin/campaigns/automation/{automation.pk}/change/")
    # then the preview speaks to Sara in both languages, and the dry run names who gets what
    preview = page.locator("#automation-preview")
    assert "Hoi Sara," in preview.inner_text()
    assert "Hi Sara," in preview.inner_text()
    dry_run = page.locator("#automation-dry-run")
    text = dry_run.inner_text()
    assert "Daan de Vries" in text
    assert "Alleen de beloning: geen toestemming" in text
    assert "gewone aankoopbedrag" in text
    screenshot(page, "admin-automation-desktop")
    preview.screenshot(path=str(screenshot_path("admin-automation-preview")))
    dry_run.screenshot(path=str(screenshot_path("admin-automation-dry-run")))
    page.set_viewport_size({"width": 390, "height": 844})
    preview.screenshot(path=str(screenshot_path("admin-automation-preview-phone")))
    dry_run.screenshot(path=str(screenshot_path("admin-automation-dry-run-phone")))


def screenshot_path(name: str) -> Path:
    """Where a screenshot of one part of the page goes (screenshot() takes the whole page)."""
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
