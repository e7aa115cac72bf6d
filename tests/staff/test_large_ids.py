"""Ids past 999 in links and hidden inputs: Dutch screens group digits ("1.234"), which must
never reach an id the next request reads back."""

import pytest
from django.urls import reverse

from loyalty_site import roles
from rewards.models import IssuedReward
from tests.factories import MemberFactory, RewardFactory
from tests.helpers import issue

from .helpers import login, member_url

pytestmark = pytest.mark.django_db


def test_the_revoke_link_of_a_code_carries_its_id_without_grouping(client):
    member = MemberFactory()
    code = issue(member, RewardFactory())
    IssuedReward.objects.filter(pk=code.pk).update(id=123456)  # no row points at it yet
    login(client, roles.MANAGER)

    page = client.get(member_url(member)).content.decode()

    assert "?code=123456" in page
    assert "123.456" not in page


def test_the_bulk_revoke_page_posts_ids_without_grouping(client):
    member = MemberFactory()
    code = issue(member, RewardFactory())
    IssuedReward.objects.filter(pk=code.pk).update(id=123456)
    login(client, superuser=True)

    page = client.post(
        reverse("admin:rewards_issuedreward_changelist"),
        {"action": "revoke", "_selected_action": ["123456"]},
    ).content.decode()

    assert 'value="123456"' in page
    assert "123.456" not in page
