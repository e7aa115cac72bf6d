"""Rewards the member cannot afford yet, codes with their conditions, the card's images."""

import re
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from points.services import points_adjust
from portal import images
from rewards.models import Stacking
from tests.factories import RewardFactory, UserFactory
from tests.helpers import issue

pytestmark = pytest.mark.django_db


def give(member, points):
    points_adjust(member=member, points=points, reason="test", actor=UserFactory())


def test_a_reward_out_of_reach_says_how_many_points_are_missing(portal, member):
    give(member, 100)
    RewardFactory(points_cost=250, name_nl="Gratis koffie")
    content = portal.get(reverse("portal:rewards")).content.decode()
    assert "Je hebt nog 150 punten nodig." in content


def test_the_confirm_page_of_an_unaffordable_reward_never_shows_a_negative_balance(portal, member):
    give(member, 100)
    reward = RewardFactory(points_cost=250)
    page = portal.get(reverse("portal:reward-confirm", args=[reward.pk]))
    content = page.content.decode()
    assert page.context["choice"].balance_after is None
    assert "−150" not in content
    assert "-150" not in content
    assert 'id="points-missing">150<' in content
    assert "confirm-redeem" not in content


def test_no_codes_is_not_a_link_to_an_empty_page(portal, member):
    content = portal.get(reverse("portal:dashboard")).content.decode()
    assert "0 codes" not in content
    assert "Je hebt nu geen codes om te gebruiken." in content


def test_a_code_shows_how_to_use_it_and_its_conditions(portal, member):
    reward = RewardFactory(
        name_nl="€ 5 korting", minimum_spend=Decimal("25.00"), stacking=Stacking.EXCLUSIVE
    )
    issued = issue(member, reward)
    content = portal.get(reverse("portal:code-detail", args=[issued.code])).content.decode()
    assert "Laat deze code zien bij de kassa" in content
    assert "Bij een aankoop van minstens €\xa025,00." in content
    assert "Niet te combineren met andere codes" in content


def test_the_card_images_scale_to_their_box():
    qr, barcode = images.qr_svg("12345678903"), images.barcode_svg("12345678903")
    for svg in (qr, barcode):
        opening = svg[: svg.index(">")]
        assert re.search(r'viewBox="0 0 [\d.]+ [\d.]+"', opening)
        assert "width=" not in opening
        assert "height=" not in opening


def test_the_card_has_a_full_screen_mode_for_the_scanner(portal, member):
    content = portal.get(reverse("portal:card-scan")).content.decode()
    assert member.card_number in content
    assert content.count("<svg") == 2
    assert 'class="top"' not in content  # no menu: only the card, on white


def test_there_is_a_favicon(portal):
    content = portal.get(reverse("portal:dashboard")).content.decode()
    assert 'rel="icon"' in content
    response = portal.get("/favicon.ico")
    assert response.status_code == 301
    assert finders.find("portal/favicon.svg")


def test_missing_points_use_the_dutch_thousands_separator(portal, member):
    give(member, 100)
    reward = RewardFactory(points_cost=2600)
    assert (
        "Je hebt nog 2.500 punten nodig." in portal.get(reverse("portal:rewards")).content.decode()
    )
    confirm = portal.get(reverse("portal:reward-confirm", args=[reward.pk])).content.decode()
    assert "Je hebt nog 2.500 punten nodig voor deze beloning." in confirm


@pytest.mark.parametrize(
    "value", ["99797358227", "99999999999", "12345678903", "1234567890", "7", "ABC-12"]
)
def test_the_barcode_reads_back_as_the_value_it_was_drawn_from(value):
    # a leading "99" once came out as a shorter number: one card in a hundred
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    modules = "0" * 10 + images.code128_modules(value) + "0" * 10
    picture = Image.new("L", (2 * len(modules), 40), 255)
    for index, module in enumerate(modules):
        if module == "1":
            picture.paste(0, (2 * index, 0, 2 * index + 2, 40))
    assert [code.text for code in zxingcpp.read_barcodes(picture)] == [value]
