"""Admin as staff use it: pages render, actions need their permission and a reason."""

from decimal import Decimal

import pytest
from django.urls import reverse

from loyalty_site import roles
from points.models import PointAccount, PointsEntry
from rewards.models import IssuedReward, StoreCreditAccount
from tests.factories import MemberFactory, RewardFactory, TierFactory
from tests.helpers import buy, issue
from tests.staff.helpers import login

pytestmark = pytest.mark.django_db


def test_the_member_page_shows_points_tier_codes_and_credit(client, member, store):
    TierFactory(rank=1, threshold=0, name_nl="Brons")
    buy(member, store, "42.00")
    issued = issue(member, RewardFactory(name_nl="Tien procent"))
    login(client, superuser=True)
    response = client.get(reverse("admin:accounts_member_change", args=[member.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Tien procent" in content
    assert issued.display_code in content
    assert "Amsterdam Centrum" in content  # the ledger line of the purchase


@pytest.mark.parametrize(
    "name",
    [
        "accounts_member",
        "accounts_store",
        "accounts_posapikey",
        "accounts_staffaction",
        "points_pointsentry",
        "points_purchase",
        "points_earningrule",
        "points_tier",
        "points_tierchange",
        "points_activitytype",
        "rewards_reward",
        "rewards_issuedreward",
        "rewards_storecreditentry",
    ],
)
def test_admin_lists_render(client, member, store, name):
    buy(member, store, "10.00")
    login(client, superuser=True)
    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_the_programme_settings_open_directly(client):
    login(client, superuser=True)
    response = client.get(reverse("admin:points_loyaltyprogram_changelist"))
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200


def test_a_cashier_adjusts_points_with_a_reason(client, member):
    cashier = login(client, role=roles.CASHIER)
    url = reverse("admin:accounts_member_action", args=[member.pk, "adjust-points"])
    # without a reason nothing happens
    response = client.post(url, {"points": 25, "reason": "  "})
    assert response.status_code == 200
    assert PointsEntry.objects.count() == 0
    # with one, the entry records the cashier and the reason
    response = client.post(url, {"points": 25, "reason": "Receipt lost at the till"})
    assert response.status_code == 302
    entry = PointsEntry.objects.get()
    assert (entry.points, entry.staff_user, entry.reason) == (
        25,
        cashier,
        "Receipt lost at the till",
    )
    assert member.staff_actions.get().staff_user == cashier


def test_marketing_cannot_adjust_points(client, member):
    login(client, role=roles.MARKETING)
    url = reverse("admin:accounts_member_action", args=[member.pk, "adjust-points"])
    assert client.post(url, {"points": 25, "reason": "x"}).status_code == 403
    assert PointAccount.objects.get(member=member).balance == 0


def test_staff_grant_a_reward_and_store_credit(client, member):
    login(client, role=roles.MANAGER)
    reward = RewardFactory()
    client.post(
        reverse("admin:accounts_member_action", args=[member.pk, "grant-reward"]),
        {"reward": reward.pk, "reason": "Complaint"},
    )
    client.post(
        reverse("admin:accounts_member_action", args=[member.pk, "adjust-store-credit"]),
        {"amount": "7.50", "reason": "Broken cup"},
    )
    assert IssuedReward.objects.get(member=member).source == "staff"
    assert StoreCreditAccount.objects.get(member=member).balance == Decimal("7.50")


def test_revoking_a_code_needs_a_reason_and_returns_the_points(client, member):
    from points.services import points_adjust
    from rewards.services import reward_redeem

    staff = login(client, role=roles.MANAGER)
    points_adjust(member=member, points=100, reason="setup", actor=staff)
    reward = RewardFactory(points_cost=100)
    from tests.factories import StoreFactory

    reward_redeem(store=StoreFactory(), member=member, reward_id=reward.pk, idempotency_key="x")
    issued = IssuedReward.objects.get()
    url = reverse("admin:rewards_issuedreward_changelist")
    data = {"action": "revoke", "_selected_action": [issued.pk]}
    # the first post asks for a reason
    assert b'name="reason"' in client.post(url, data).content
    assert IssuedReward.objects.get().status == "issued"
    # with the reason it revokes
    client.post(url, {**data, "apply": "1", "reason": "Sent by mistake"})
    issued.refresh_from_db()
    assert (issued.status, issued.revoked_reason) == ("revoked", "Sent by mistake")
    assert PointAccount.objects.get(member=member).balance == 100


def test_cashiers_cannot_edit_earning_rules(client):
    login(client, role=roles.CASHIER)
    assert client.get(reverse("admin:points_earningrule_add")).status_code == 403


def test_staff_create_a_member_with_a_normalised_email(client, store):
    login(client, superuser=True)
    response = client.post(
        reverse("admin:accounts_member_add"),
        {"first_name": "Piet", "email": "PIET@Example.com", "phone": "", "language": "nl"},
    )
    assert response.status_code == 302
    from accounts.models import Member

    member = Member.objects.get(first_name="Piet")
    assert member.email == "piet@example.com"
    assert len(member.card_number) == 11
    assert PointAccount.objects.filter(member=member).exists()


def test_a_duplicate_email_is_a_form_error_not_a_crash(client):
    MemberFactory(email="taken@example.com")
    login(client, superuser=True)
    response = client.post(
        reverse("admin:accounts_member_add"),
        {"first_name": "X", "email": "TAKEN@example.com", "language": "nl"},
    )
    assert response.status_code == 200
    assert b"errornote" in response.content or b"errorlist" in response.content
