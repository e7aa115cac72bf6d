"""Stamp cards made visible: "3 of 10" in the API summary, on the portal and the 360° page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.portal import portal_user_for
from campaigns.models import Delivery, Trigger
from points.models import ScoreNorm, ScoreSource
from tests.api.openapi import assert_conforms
from tests.factories import AutomationFactory, UserFactory
from tests.helpers import buy
from tests.staff.helpers import member_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def coffee_card(db):
    return AutomationFactory(
        name="Koffiekaart",
        trigger=Trigger.NTH_PURCHASE,
        every_n=10,
        category="coffee",
        reward=None,
        bonus_points=100,
        cooldown_days=0,
    )


def buy_coffee(member, store, times):
    for _ in range(times):
        buy(member, store, "7.95", lines=[("KOF-250", "coffee", "7.95")])


def test_the_summary_counts_the_stamps_towards_the_next_reward(coffee_card, pos, member, store):
    buy_coffee(member, store, 3)
    buy(member, store, "4.25", lines=[("THE-100", "tea", "4.25")])  # not a coffee: no stamp
    response = pos.get(f"/api/v1/members/{member.card_number}/")
    assert_conforms(response, "/api/v1/members/{card_number}/", "GET")  # as documented
    body = response.json()
    assert body["stamp_cards"] == [
        {"name": "Koffiekaart", "category": "coffee", "collected": 3, "needed": 10}
    ]


def test_a_full_card_gives_its_reward_and_starts_again(coffee_card, pos, member, store):
    buy_coffee(member, store, 12)
    body = pos.get(f"/api/v1/members/{member.card_number}/").json()
    assert body["stamp_cards"][0]["collected"] == 2
    assert Delivery.objects.filter(member=member, automation=coffee_card).count() == 1


def test_without_stamp_cards_the_list_is_empty(pos, member):
    response = pos.get(f"/api/v1/members/{member.card_number}/")
    assert_conforms(response, "/api/v1/members/{card_number}/", "GET")  # as documented
    body = response.json()
    assert body["stamp_cards"] == []


def test_an_inactive_card_is_not_shown(coffee_card, pos, member, store):
    coffee_card.is_active = False
    coffee_card.save()
    buy_coffee(member, store, 2)
    response = pos.get(f"/api/v1/members/{member.card_number}/")
    assert_conforms(response, "/api/v1/members/{card_number}/", "GET")  # as documented
    body = response.json()
    assert body["stamp_cards"] == []


def test_the_portal_shows_the_stamp_card_in_both_languages(coffee_card, client, member, store):
    buy_coffee(member, store, 3)
    client.force_login(portal_user_for(member))
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "Je stempelkaarten" in page
    assert "3 van 10 (coffee)" in page
    assert page.count('class="stamp is-stamped"') == 3
    member.language = "en"
    member.save(update_fields=["language"])
    page = client.get(reverse("portal:earn")).content.decode()
    assert "Your stamp cards" in page
    assert "3 of 10 (coffee)" in page


def test_the_member_page_shows_the_stamp_cards_and_the_score(coffee_card, client, member, store):
    ScoreNorm.objects.create(source=ScoreSource.PURCHASE, value=Decimal("10"))
    buy_coffee(member, store, 3)
    client.force_login(UserFactory(is_superuser=True))
    page = client.get(member_url(member)).content.decode()
    assert "Koffiekaart" in page
    assert "3 van 10" in page
    assert "Loyaliteitsscore: <strong>30</strong>." in page
    assert 'class="score-bars"' in page  # the breakdown's chart
