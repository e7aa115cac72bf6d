"""The staff forms' small scripts in a real browser: fields per kind of earning rule, and the
balance after an adjustment. Screenshots in test-artifacts/screenshots/."""

import pytest

from points.services import points_adjust
from tests.browser import screenshot
from tests.factories import MemberFactory, UserFactory

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def sign_in(page, username: str) -> None:
    page.goto(page.base_url + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#content")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("size", list(SIZES))
def test_the_earning_rule_form_shows_only_the_fields_of_the_chosen_kind(page, size):
    UserFactory(username="beheer", is_superuser=True)
    page.set_viewport_size(SIZES[size])
    sign_in(page, "beheer")
    page.goto(page.base_url + "/admin/points/earningrule/add/")
    page.select_option("#id_kind", "multiplier")
    assert page.is_visible(".form-row.field-multiplier")
    assert not page.is_visible(".form-row.field-points_per_unit")
    assert not page.is_visible(".form-row.field-bonus_points")
    screenshot(page, f"admin-earning-rule-multiplier-{size}")
    page.select_option("#id_kind", "fixed_bonus")
    assert page.is_visible(".form-row.field-bonus_points")
    assert not page.is_visible(".form-row.field-multiplier")
    page.select_option("#id_kind", "base_rate")
    assert page.is_visible(".form-row.field-points_per_unit")
    assert page.is_visible(".form-row.field-minimum_spend")  # every kind has a minimum spend


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("size", list(SIZES))
def test_the_adjust_points_form_shows_the_balance_after_the_change_as_staff_type(page, size):
    staff = UserFactory(username="beheer", is_superuser=True)
    member = MemberFactory(first_name="Anna", last_name="de Vries")
    points_adjust(member=member, points=1250, reason="start", actor=staff)
    page.set_viewport_size(SIZES[size])
    sign_in(page, "beheer")
    page.goto(page.base_url + f"/admin/accounts/member/{member.pk}/action/adjust-points/")
    page.fill("#id_points", "-50")
    assert page.text_content("#balance-after") == "1.200 punten"
    page.fill("#id_reason", "Dubbel geboekt")
    screenshot(page, f"admin-adjust-points-{size}")
    page.fill("#id_points", "-2000")
    assert page.text_content("#balance-after") == "-750 punten"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("size", list(SIZES))
def test_the_member_page_reads_in_dutch_with_dated_history_and_a_readable_audit_trail(page, size):
    staff = UserFactory(username="beheer", is_superuser=True)
    member = MemberFactory(first_name="Anna", last_name="de Vries")
    points_adjust(member=member, points=972, reason="Overgezet van de oude kaart", actor=staff)
    page.set_viewport_size(SIZES[size])
    sign_in(page, "beheer")
    page.goto(page.base_url + f"/admin/accounts/member/{member.pk}/change/")
    audit = page.text_content("#member-audit")
    assert "Punten aangepast met +972: saldo 0 → 972." in audit
    assert "adjust_points" not in audit
    screenshot(page, f"admin-member-page-{size}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("size", list(SIZES))
def test_the_merge_shows_both_members_before_it_is_confirmed(page, size):
    staff = UserFactory(username="beheer", is_superuser=True)
    duplicate = MemberFactory(first_name="Anna", last_name="de Vries")
    survivor = MemberFactory(first_name="Anna", last_name="Vries")
    points_adjust(member=duplicate, points=300, reason="start", actor=staff)
    page.set_viewport_size(SIZES[size])
    sign_in(page, "beheer")
    page.goto(page.base_url + f"/admin/accounts/member/{duplicate.pk}/action/merge/")
    page.fill("#id_survivor_card", survivor.card_number)
    page.fill("#id_reason", "Twee kaarten van één klant")
    page.click("input[type=submit]")
    page.wait_for_selector("#merge-preview")
    preview = page.text_content("#merge-preview")
    assert duplicate.card_number in preview
    assert survivor.card_number in preview
    assert "300" in preview
    screenshot(page, f"admin-merge-confirm-{size}")
    # and the side-by-side page fits the window: no sideways scrolling, also on a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.fill("#id_confirm_card", duplicate.card_number)
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist")
    assert "samengevoegd" in page.text_content(".messagelist")
