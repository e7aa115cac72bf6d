import pytest

from tests.browser import screenshot
from tests.factories import UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_sign_in_to_admin_in_a_real_browser(page):
    UserFactory(username="beheer", is_superuser=True)
    page.goto(page.base_url + "/admin/")
    page.fill("#id_username", "beheer")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#content h1")
    assert "Leden" in page.content() or "Members" in page.content()
    screenshot(page, "admin-index")
