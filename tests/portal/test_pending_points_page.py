"""The portal explains pending points (#18), in Dutch and English."""

import pytest
from django.urls import reverse

from accounts.models import Member, Store
from points.models import LoyaltyProgram
from tests.factories import StoreFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(member):
    program = LoyaltyProgram.current()
    program.return_window_days_online = 14
    program.save()
    web = StoreFactory(code="WEB", channel=Store.Channel.ONLINE)
    buy(member, web, "49.00")


@pytest.mark.parametrize(
    ("language", "phrases"),
    [
        ("nl", ["49 in afwachting", "te besteden vanaf", "retourtermijn"]),
        ("en", ["49 pending", "spendable from", "return period"]),
    ],
)
def test_the_dashboard_shows_pending_points_with_their_release_date(
    portal, member, pending, language, phrases
):
    Member.objects.filter(pk=member.pk).update(language=language)
    html = portal.get(reverse("portal:dashboard")).content.decode()
    assert 'id="points-pending"' in html
    for phrase in phrases:
        assert phrase in html


def test_the_history_marks_the_pending_entry(portal, member, pending):
    html = portal.get(reverse("portal:history")).content.decode()
    assert "+49 in afwachting" in html
