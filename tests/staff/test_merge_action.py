"""The merge on the member page (managers only, confirmed by typing the card number) and the
merged card at the till."""

from decimal import Decimal

import pytest

from accounts.models import Member, StaffAction
from loyalty_site import roles
from points.models import PointAccount
from points.services import points_adjust
from tests.factories import EarningRuleFactory, MemberFactory, UserFactory
from tests.helpers import purchase_body

from .helpers import action_url, member_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    duplicate, survivor = MemberFactory(), MemberFactory()
    points_adjust(member=duplicate, points=80, reason="setup", actor=UserFactory())
    return duplicate, survivor


def post(client, duplicate, **data):
    return client.post(
        action_url(duplicate, "merge"), {"reason": "Two cards, one customer", **data}
    )


def test_a_manager_sees_both_members_then_confirms_with_the_card_number(client, pair):
    duplicate, survivor = pair
    client.force_login(UserFactory(role=roles.MANAGER))
    # when the manager names the member to keep
    shown = post(client, duplicate, survivor_card=survivor.card_number)
    # then the page shows both side by side and asks for the confirmation; nothing moved yet
    assert shown.status_code == 200
    assert shown.context["survivor_side"].member == survivor
    assert shown.context["duplicate_side"].points == 80
    assert "confirm_card" in shown.context["form"].errors
    page = shown.content.decode()
    assert survivor.card_number in page
    assert duplicate.card_number in page
    assert Member.objects.get(pk=duplicate.pk).status == "active"
    # when they type the duplicate's card number
    done = post(
        client,
        duplicate,
        survivor_card=survivor.card_number,
        confirm_card=duplicate.card_number,
    )
    # then the members are merged and the audit row reads as a sentence
    assert done.status_code == 302
    assert Member.objects.get(pk=duplicate.pk).merged_into == survivor
    assert PointAccount.objects.get(member=survivor).balance == 80
    survivor_page = client.get(member_url(survivor)).content.decode()
    # (the staff screens are in Dutch)
    assert f"Kaart {duplicate.card_number} samengevoegd met dit lid: 80 punten" in survivor_page
    # and the merged member's page offers nothing more and says where it went
    merged_page = client.get(member_url(duplicate))
    assert merged_page.context["member_actions"] == []
    assert f"met kaart {survivor.card_number}" in merged_page.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"survivor_card": "00000000000"}, "survivor_card"),  # no such member
        ({"survivor_card": "123"}, "survivor_card"),  # not a card number
        ({"survivor_card": "self"}, "survivor_card"),  # the same member
        ({"survivor_card": "other", "confirm_card": "99999999999"}, "confirm_card"),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(client, pair, data, field):
    duplicate, survivor = pair
    client.force_login(UserFactory(role=roles.MANAGER))
    cards = {"self": duplicate.card_number, "other": survivor.card_number}
    data = {key: cards.get(value, value) for key, value in data.items()}
    response = post(client, duplicate, **data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Member.objects.filter(status="merged").exists()
    assert not StaffAction.objects.filter(action="merge_member").exists()


def test_a_survivor_merged_already_is_refused_on_the_form(client, pair):
    duplicate, survivor = pair
    client.force_login(UserFactory(role=roles.MANAGER))
    third = MemberFactory()
    post(client, survivor, survivor_card=third.card_number, confirm_card=survivor.card_number)
    # the survivor's card now finds the third member: the merge goes there, as at the till
    response = post(
        client, duplicate, survivor_card=survivor.card_number, confirm_card=duplicate.card_number
    )
    assert response.status_code == 302
    assert Member.objects.get(pk=duplicate.pk).merged_into == third


@pytest.mark.parametrize("role", [roles.CASHIER, roles.MARKETING])
def test_only_managers_may_merge(client, pair, role):
    duplicate, survivor = pair
    client.force_login(UserFactory(role=role))
    assert client.get(action_url(duplicate, "merge")).status_code == 403
    response = post(
        client, duplicate, survivor_card=survivor.card_number, confirm_card=duplicate.card_number
    )
    assert response.status_code == 403
    assert Member.objects.get(pk=duplicate.pk).status == "active"


def test_the_merged_card_finds_the_survivor_at_the_till(client, pos, pair):
    # given a merged pair and a rule of a point per euro
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    duplicate, survivor = pair
    client.force_login(UserFactory(role=roles.MANAGER))
    post(client, duplicate, survivor_card=survivor.card_number, confirm_card=duplicate.card_number)
    # when the till looks the old card up and records a purchase with it
    looked_up = pos.get(f"/api/v1/members/{duplicate.card_number}/")
    bought = pos.post(
        "/api/v1/purchases/",
        purchase_body(duplicate.card_number, amount="20.00"),
        format="json",
    )
    # then both answer for the survivor, who earns the points
    assert looked_up.status_code == 200, looked_up.json()
    assert looked_up.json()["card_number"] == survivor.card_number
    assert bought.status_code == 201, bought.json()
    assert PointAccount.objects.get(member=survivor).balance == 100
    assert PointAccount.objects.get(member=duplicate).balance == 0
