"""Earning rules or bonus campaigns for "double points this weekend": both pages say which to
use, and their forms show only the fields of the chosen kind (tests/staff/test_browser_forms.py
drives that in a real browser)."""

import pytest
from django.urls import reverse

from loyalty_site import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = {
    "admin:points_earningrule_changelist": "gebruik je een bonuscampagne",
    "admin:points_earningrule_add": "gebruik je een bonuscampagne",
    "admin:campaigns_bonuscampaign_changelist": "hoort in de spaarregels",
    "admin:campaigns_bonuscampaign_add": "hoort in de spaarregels",
}


@pytest.mark.parametrize(("name", "guidance"), list(PAGES.items()))
def test_earning_rules_and_bonus_campaigns_say_which_to_use(client, name, guidance):
    client.force_login(UserFactory(role=roles.MARKETING))
    page = client.get(reverse(name)).content.decode()
    assert guidance in page


@pytest.mark.parametrize("name", [name for name in PAGES if name.endswith("_add")])
def test_their_forms_load_the_script_that_shows_the_fields_of_the_chosen_kind(client, name):
    client.force_login(UserFactory(role=roles.MARKETING))
    page = client.get(reverse(name)).content.decode()
    assert 'src="/static/backoffice/kind_fields.js"' in page
    # without the script every field shows, and says which kind it belongs to
    assert "field-multiplier" in page
    assert "field-bonus_points" in page
