import pytest

from tests.browser import admin_sign_in, screenshot
from tests.factories import UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_sign_in_to_admin_in_a_real_browser(page):
    UserFactory(username="beheer", is_superuser=True)
    admin_sign_in(page)
    assert "Leden" in page.content() or "Members" in page.content()
    screenshot(page, "admin-index")
