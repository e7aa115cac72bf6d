"""Every staff action on a member: it needs its permission and a reason, changes nothing
without them, and leaves an audit row (who, what, when, why, before and after)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Member, StaffAction
from campaigns.models import Delivery
from core.append_only import AppendOnlyError
from loyalty_site import roles
from points.models import PointAccount
from points.services import points_adjust
from rewards.models import IssuedReward, StoreCreditAccount
from tests.factories import AutomationFactory, MemberFactory, RewardFactory, UserFactory
from tests.helpers import issue

from .helpers import action_url, member_url

pytestmark = pytest.mark.django_db


def state(member) -> dict:
    """What a staff action could change, to compare before and after."""
    member = Member.objects.get(pk=member.pk)
    return {
        "status": member.status,
        "points": PointAccount.objects.get(member=member).balance,
        "credit": StoreCreditAccount.objects.filter(member=member)
        .values_list("balance", flat=True)
        .first(),
        "codes": sorted(
            IssuedReward.objects.filter(member=member).values_list("status", flat=True)
        ),
        "deliveries": sorted(
            Delivery.objects.filter(member=member).values_list("status", flat=True)
        ),
        "audit": StaffAction.objects.filter(member=member).count(),
    }


@pytest.fixture
def setup(db):
    """A member with an unused code and a failed message; returns (member, post data per action)."""
    member = MemberFactory()
    code = issue(member, RewardFactory(name_nl="Tien procent"))
    delivery = Delivery.objects.create(
        automation=AutomationFactory(), member=member, period_key="x", status="failed"
    )
    reward = RewardFactory(name_nl="Gratis koffie")
    data = {
        "adjust-points": {"points": "25"},
        "adjust-store-credit": {"amount": "7.50"},
        "grant-reward": {"reward": reward.pk},
        "revoke-code": {"code": code.pk},
        "resend-message": {"delivery": delivery.pk},
        "block": {},
    }
    return member, data


EXPECTED = {
    # action: (what changed, the audit row's action, its before, its after)
    "adjust-points": (
        {"points": 25},
        "adjust_points",
        {"points_balance": 0},
        {"points_balance": 25},
    ),
    "adjust-store-credit": (
        {"credit": Decimal("7.50")},
        "adjust_store_credit",
        {"store_credit": "0.00"},
        {"store_credit": "7.50"},
    ),
    "grant-reward": ({"codes": ["issued", "issued"]}, "grant_reward", {}, {}),
    "revoke-code": (
        {"codes": ["revoked"]},
        "revoke_code",
        {"status": "issued"},
        {"status": "revoked", "points_returned": 0},
    ),
    "resend-message": (
        {"deliveries": ["pending"]},
        "resend_message",
        {"status": "failed", "attempts": 0},
        {"status": "pending"},
    ),
    "block": ({"status": "blocked"}, "block_member", {"status": "active"}, {"status": "blocked"}),
}


@pytest.mark.parametrize("slug", list(EXPECTED))
def test_a_manager_acts_with_a_reason_and_the_audit_trail_records_it(client, setup, slug):
    # given
    member, data = setup
    manager = UserFactory(role=roles.MANAGER)
    client.force_login(manager)
    before = state(member)
    # when
    response = client.post(action_url(member, slug), {**data[slug], "reason": "Klacht 123"})
    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    changes, action, audit_before, audit_after = EXPECTED[slug]
    assert state(member) == {**before, **changes, "audit": before["audit"] + 1}
    row = StaffAction.objects.get(member=member)
    assert (row.staff_user, row.action, row.reason) == (manager, action, "Klacht 123")
    assert row.before.items() >= audit_before.items()
    assert row.after.items() >= audit_after.items()
    assert row.created_at is not None


@pytest.mark.parametrize("slug", list(EXPECTED))
@pytest.mark.parametrize("reason", ["", "   "])
def test_without_a_reason_nothing_changes(client, setup, slug, reason):
    member, data = setup
    client.force_login(UserFactory(role=roles.MANAGER))
    before = state(member)
    response = client.post(action_url(member, slug), {**data[slug], "reason": reason})
    assert response.status_code == 200  # the form again, with the error
    assert response.context["form"].errors["reason"]
    assert state(member) == before


@pytest.mark.parametrize(
    ("role", "slug"),
    [
        (roles.MARKETING, "adjust-points"),
        (roles.MARKETING, "adjust-store-credit"),
        (roles.MARKETING, "grant-reward"),
        (roles.MARKETING, "revoke-code"),
        (roles.MARKETING, "block"),
        (roles.CASHIER, "block"),
        (None, "resend-message"),
        (None, "adjust-points"),
    ],
)
def test_without_the_permission_nothing_changes(client, setup, role, slug):
    member, data = setup
    client.force_login(UserFactory(role=role))  # staff, but without the permission
    before = state(member)
    assert client.get(action_url(member, slug)).status_code == 403
    response = client.post(action_url(member, slug), {**data[slug], "reason": "Klacht 123"})
    assert response.status_code == 403
    assert state(member) == before


def test_unblocking_needs_a_reason_too_and_is_audited(client, member):
    manager = UserFactory(role=roles.MANAGER)
    client.force_login(manager)
    client.post(action_url(member, "block"), {"reason": "Fraud suspected"})
    # blocking a blocked member is not offered
    assert client.post(action_url(member, "block"), {"reason": "again"}).status_code == 302
    client.post(action_url(member, "unblock"), {"reason": "Cleared by the bank"})
    assert Member.objects.get(pk=member.pk).status == "active"
    assert list(
        StaffAction.objects.filter(member=member).order_by("pk").values_list("action", "reason")
    ) == [
        ("block_member", "Fraud suspected"),
        ("unblock_member", "Cleared by the bank"),
    ]


def test_the_page_offers_only_the_actions_the_user_may_take(client, member):
    client.force_login(UserFactory(role=roles.CASHIER))
    slugs = {action.slug for action in client.get(member_url(member)).context["member_actions"]}
    assert slugs == {
        "adjust-points",
        "adjust-store-credit",
        "grant-reward",
        "revoke-code",
        "resend-message",
    }
    client.force_login(UserFactory(role=roles.MANAGER))
    slugs = {action.slug for action in client.get(member_url(member)).context["member_actions"]}
    assert "block" in slugs
    assert "unblock" not in slugs


def test_a_code_of_another_member_cannot_be_revoked_from_this_page(client, setup):
    member, _data = setup
    other_code = issue(MemberFactory(), RewardFactory())
    client.force_login(UserFactory(role=roles.MANAGER))
    response = client.post(
        action_url(member, "revoke-code"), {"code": other_code.pk, "reason": "x"}
    )
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert IssuedReward.objects.get(pk=other_code.pk).status == "issued"


def test_a_sent_message_is_not_offered_again(client, setup):
    member, data = setup
    Delivery.objects.filter(member=member).update(status="sent")
    client.force_login(UserFactory(role=roles.MANAGER))
    response = client.post(
        action_url(member, "resend-message"), {**data["resend-message"], "reason": "x"}
    )
    assert response.status_code == 200
    assert "delivery" in response.context["form"].errors


def test_the_audit_trail_can_be_read_but_never_edited(client, member):
    manager = UserFactory(role=roles.MANAGER, is_superuser=True)
    points_adjust(member=member, points=5, reason="Receipt lost", actor=manager)
    row = StaffAction.objects.get()
    client.force_login(manager)
    assert client.get(reverse("admin:accounts_staffaction_changelist")).status_code == 200
    change_url = reverse("admin:accounts_staffaction_change", args=[row.pk])
    assert client.post(change_url, {"reason": "rewritten"}).status_code == 403
    delete_url = reverse("admin:accounts_staffaction_delete", args=[row.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    row.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        row.save()
    assert StaffAction.objects.get().reason == "Receipt lost"


SENTENCES = {
    # what the audit trail says, in Dutch, after each action of the setup above
    "adjust-points": "Punten aangepast met +25: saldo 0 → 25.",
    "adjust-store-credit": "Tegoed aangepast: € 0,00 → € 7,50.",
    "grant-reward": "“Gratis koffie” gegeven (code ",
    "revoke-code": "Code ",
    "resend-message": "Bericht opnieuw in de wachtrij gezet.",
    "block": "Lid geblokkeerd: geen sparen, inwisselen of berichten.",
}


@pytest.mark.parametrize("slug", list(SENTENCES))
def test_the_audit_trail_reads_as_dutch_sentences_without_codes_or_data(client, setup, slug):
    # given
    member, data = setup
    client.force_login(UserFactory(role=roles.MANAGER))
    client.post(action_url(member, slug), {**data[slug], "reason": "Klacht 123"})
    row = StaffAction.objects.get(member=member)
    # when
    member_page = client.get(member_url(member)).content.decode()
    trail = client.get(reverse("admin:accounts_staffaction_changelist")).content.decode()
    detail = client.get(
        reverse("admin:accounts_staffaction_change", args=[row.pk])
    ).content.decode()
    # then
    for page in (member_page, trail, detail):
        text = page.replace("\xa0", " ").replace("&nbsp;", " ")
        assert SENTENCES[slug] in text
        assert f">{row.action}<" not in page  # no "adjust_points" shown
        assert '"points_balance"' not in text
        assert '"store_credit"' not in text


def test_the_adjust_points_form_shows_the_balance_now_and_after_in_the_admins_style(client):
    # given
    member = MemberFactory()
    points_adjust(member=member, points=1250, reason="start", actor=UserFactory())
    client.force_login(UserFactory(role=roles.CASHIER))
    # when
    page = client.get(action_url(member, "adjust-points")).content.decode()
    # then
    assert "Saldo nu: <strong>1.250 punten</strong>" in page
    assert 'data-current="1250"' in page
    assert "admin/css/forms.css" in page  # styled like the rest of admin
    assert 'src="/static/backoffice/balance_preview.js"' in page  # a file, no inline script
    # and after a change that cannot be made, the page says why and what the balance is
    refused = client.post(
        action_url(member, "adjust-points"), {"points": "-2000", "reason": "typo"}
    ).content.decode()
    assert "Saldo nu: <strong>1.250 punten</strong>" in refused
    assert 'id="balance-after" for="id_points">-750 punten</output>' in refused
    assert 'class="errorlist' in refused  # the service's refusal, on the points field


def test_store_credit_is_typed_with_a_decimal_comma_in_dutch(client):
    member = MemberFactory()
    client.force_login(UserFactory(role=roles.MANAGER))
    page = client.get(action_url(member, "adjust-store-credit")).content.decode()
    assert "Saldo nu: <strong>€\xa00,00</strong>" in page
    response = client.post(
        action_url(member, "adjust-store-credit"), {"amount": "7,50", "reason": "Klacht"}
    )
    assert response.status_code == 302
    assert StoreCreditAccount.objects.get(member=member).balance == Decimal("7.50")


def test_the_balance_preview_script_is_a_static_file():
    from django.contrib.staticfiles import finders

    assert finders.find("backoffice/balance_preview.js")


def test_a_manager_erases_a_member_after_typing_the_card_number(client, member):
    manager = UserFactory(role=roles.MANAGER)
    client.force_login(manager)
    assert "erase" in {a.slug for a in client.get(member_url(member)).context["member_actions"]}
    # a wrong card number erases nothing and says why
    response = client.post(
        action_url(member, "erase"), {"card_number": "12345678901", "reason": "Brief 12 mei"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["card_number"]
    assert Member.objects.get(pk=member.pk).email == member.email
    # the right one erases, audited once, and the action is no longer offered
    response = client.post(
        action_url(member, "erase"), {"card_number": member.card_number, "reason": "Brief 12 mei"}
    )
    assert response.status_code == 302
    erased = Member.objects.get(pk=member.pk)
    assert (erased.email, erased.first_name) == (None, "")
    assert (erased.erasure.erased_by, erased.erasure.via) == (manager, "staff")
    assert "erase" not in {a.slug for a in client.get(member_url(member)).context["member_actions"]}


@pytest.mark.parametrize("role", [roles.CASHIER, roles.MARKETING])
def test_only_managers_may_erase(client, member, role):
    client.force_login(UserFactory(role=role))
    response = client.post(
        action_url(member, "erase"), {"card_number": member.card_number, "reason": "x"}
    )
    assert response.status_code == 403
    assert Member.objects.get(pk=member.pk).email == member.email
