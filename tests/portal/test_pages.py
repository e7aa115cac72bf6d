"""What a signed-in member sees and does, and that it is only ever their own data."""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ClosureRequest, Member
from campaigns.models import SurveyResponse
from points.models import PointAccount
from points.services import points_adjust
from rewards.models import IssuedReward
from tests.factories import (
    ActivityTypeFactory,
    MemberFactory,
    RewardFactory,
    TierFactory,
    UserFactory,
)
from tests.helpers import buy, issue

pytestmark = pytest.mark.django_db


def give(member, points):
    points_adjust(member=member, points=points, reason="test", actor=UserFactory())


def test_the_dashboard_shows_balance_tier_progress_credit_and_activity(portal, member, store):
    TierFactory(rank=1, threshold=0, name_nl="Brons")
    TierFactory(rank=2, threshold=500, name_nl="Zilver")
    buy(member, store, "1234.00")
    page = portal.get(reverse("portal:dashboard"))
    content = page.content.decode()
    assert page.status_code == 200
    assert 'id="points-balance">1.234<' in content  # Dutch thousands separator
    assert "Zilver" in content
    assert "Amsterdam Centrum" in content
    assert "<svg" in content  # the monthly chart


def test_the_portal_speaks_the_members_language(portal, member):
    Member.objects.filter(pk=member.pk).update(language="en")
    content = portal.get(reverse("portal:dashboard")).content.decode()
    assert "Your points" in content
    Member.objects.filter(pk=member.pk).update(language="nl")
    assert "Je punten" in portal.get(reverse("portal:dashboard")).content.decode()


def test_points_expiring_soon_are_announced(portal, member, store):
    from points.models import LoyaltyProgram

    program = LoyaltyProgram.current()
    program.points_expire_after_months = 3
    program.save()
    buy(member, store, "80.00", occurred_at=timezone.now() - datetime.timedelta(days=75))
    assert "80 punten vervallen" in portal.get(reverse("portal:dashboard")).content.decode()


def test_the_card_shows_the_number_as_qr_and_barcode(portal, member):
    content = portal.get(reverse("portal:card")).content.decode()
    assert member.card_number in content
    assert content.count("<svg") == 2


def test_the_card_shows_a_referral_code_only_when_the_member_has_one(portal, member):
    # a member brought in without one (an import, a legacy card) sees no "None"
    member.referral_code = None
    member.save(update_fields=["referral_code"])
    content = portal.get(reverse("portal:card")).content.decode()
    assert "None" not in content
    assert "aanbrengcode" not in content
    member.referral_code = "K7M4Q9"
    member.save(update_fields=["referral_code"])
    assert "K7M4Q9" in portal.get(reverse("portal:card")).content.decode()


def test_history_is_filtered_and_paginated(portal, member, store):
    for index in range(25):
        buy(member, store, "10.00", transaction_id=f"H{index}")
    give(member, -5)
    page1 = portal.get(reverse("portal:history"))
    assert len(page1.context["rows"]) == 20
    assert page1.context["page"].paginator.count == 26
    corrections = portal.get(reverse("portal:history"), {"kind": "corrections"})
    assert [row.entry.kind for row in corrections.context["rows"]] == ["adjustment"]
    future = portal.get(reverse("portal:history"), {"date_from": "2999-01-01"})
    assert future.context["rows"] == []


def test_bad_history_filters_do_not_break_the_page(portal):
    response = portal.get(
        reverse("portal:history"), {"kind": "nonsense", "date_from": "yesterday", "page": "x"}
    )
    assert response.status_code == 200


def test_redeeming_asks_for_confirmation_then_shows_the_new_code(portal, member):
    give(member, 300)
    reward = RewardFactory(points_cost=250, name_nl="Tien procent")
    confirm = portal.get(reverse("portal:reward-confirm", args=[reward.pk]))
    assert confirm.context["choice"].balance_after == 50
    key = confirm.context["form"].initial["idempotency_key"]
    # nothing happened yet
    assert IssuedReward.objects.count() == 0
    response = portal.post(
        reverse("portal:reward-redeem", args=[reward.pk]), {"idempotency_key": key}
    )
    issued = IssuedReward.objects.get()
    assert response.url == reverse("portal:codes") + f"?new={issued.code}"
    assert PointAccount.objects.get(member=member).balance == 50
    # a double click (same form) does not spend twice
    portal.post(reverse("portal:reward-redeem", args=[reward.pk]), {"idempotency_key": key})
    assert IssuedReward.objects.count() == 1
    codes = portal.get(response.url).content.decode()
    assert issued.display_code in codes


def test_redeeming_without_enough_points_says_so(portal, member):
    give(member, 100)
    reward = RewardFactory(points_cost=250)
    response = portal.post(
        reverse("portal:reward-redeem", args=[reward.pk]),
        {"idempotency_key": "0b5a6c8e-6d9c-4e0e-9c7a-1d2b3c4d5e6f"},
        follow=True,
    )
    assert "Niet genoeg punten" in response.content.decode()
    assert IssuedReward.objects.count() == 0


def test_exclusive_tier_rewards_are_hidden_below_the_tier(portal, member):
    TierFactory(rank=1, threshold=0)
    gold = TierFactory(rank=2, threshold=1500, name_nl="Goud")
    give(member, 5000)
    hidden = RewardFactory(points_cost=100, minimum_tier=gold, name_nl="Goud-exclusief")
    assert "Goud-exclusief" not in portal.get(reverse("portal:rewards")).content.decode()
    assert portal.get(reverse("portal:reward-confirm", args=[hidden.pk])).status_code == 404


def test_a_member_never_sees_another_members_code(portal, member):
    other = MemberFactory()
    theirs = issue(other, RewardFactory())
    mine = issue(member, RewardFactory())
    assert portal.get(reverse("portal:code-detail", args=[mine.code])).status_code == 200
    assert portal.get(reverse("portal:code-detail", args=[theirs.code])).status_code == 404
    assert theirs.code not in portal.get(reverse("portal:codes")).content.decode()


def test_changing_ids_in_forms_cannot_reach_another_member(portal, member):
    other = MemberFactory(email="other@example.com")
    # the profile form has no member id to tamper with: it changes the signed-in member only
    portal.post(
        reverse("portal:profile"),
        {
            "first_name": "Changed",
            "email": member.email,
            "language": "nl",
            "member": other.pk,
            "id": other.pk,
        },
    )
    other.refresh_from_db()
    member.refresh_from_db()
    assert (member.first_name, other.first_name) == ("Changed", other.first_name)
    export = json.loads(portal.get(reverse("portal:export")).content)
    assert export["member"]["card_number"] == member.card_number
    assert other.card_number not in json.dumps(export)


def test_the_profile_refuses_an_email_of_another_member(portal, member):
    MemberFactory(email="taken@example.com")
    response = portal.post(
        reverse("portal:profile"),
        {"first_name": "X", "email": "TAKEN@example.com", "language": "nl"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    member.refresh_from_db()
    assert member.email != "taken@example.com"


def test_the_profile_saves_the_preferred_channel_with_the_contact_details(portal, member):
    # when
    portal.post(
        reverse("portal:profile"),
        {"first_name": "Anna", "email": member.email, "language": "nl", "preferred_channel": "sms"},
    )
    # then
    member.refresh_from_db()
    assert (member.first_name, member.preferred_channel) == ("Anna", "sms")


def test_consent_can_be_withdrawn_and_the_time_is_recorded(portal, member):
    Member.objects.filter(pk=member.pk).update(phone="+31612345678")
    portal.post(reverse("portal:consents"), {"email": "on", "sms": "on"})
    member.refresh_from_db()
    assert member.email_consent_at
    assert member.sms_consent_at
    portal.post(reverse("portal:consents"), {"email": "on"})
    member.refresh_from_db()
    assert member.sms_consent_at is None
    assert list(member.consent_changes.order_by("pk").values_list("channel", "is_granted")) == [
        ("email", True),
        ("sms", True),
        ("sms", False),
    ]


def test_download_my_data(portal, member, store):
    buy(member, store, "12.00", lines=[("A", "coffee", "12.00")])
    response = portal.get(reverse("portal:export"))
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["points"]["balance"] == 12
    assert data["purchases"][0]["lines"][0]["sku"] == "A"
    assert data["member"]["email"] == member.email


def test_a_member_can_ask_to_close_the_account_once(portal, member):
    portal.post(reverse("portal:close"), {"reason": "Moving abroad", "confirm": "on"})
    portal.post(reverse("portal:close"), {"reason": "again", "confirm": "on"})
    assert ClosureRequest.objects.filter(member=member).count() == 1


def test_closing_needs_the_confirmation(portal, member):
    response = portal.post(reverse("portal:close"), {"reason": "x"})
    assert response.status_code == 200
    assert not ClosureRequest.objects.exists()


def test_staff_close_an_account_and_the_member_is_erased(client, member):
    from accounts.portal import closure_request_create
    from loyalty_site import roles

    closure = closure_request_create(member=member, reason="bye")
    client.force_login(UserFactory(role=roles.MANAGER))
    client.post(
        reverse("admin:accounts_closurerequest_changelist"),
        {
            "action": "close_accounts",
            "_selected_action": [closure.pk],
            "apply": "1",
            "reason": "Asked on the portal",
        },
    )
    member.refresh_from_db()
    assert (member.email, member.first_name, member.status) == (None, "", "blocked")
    assert (member.erasure.via, member.erasure.reason) == ("closure_request", "Asked on the portal")
    assert member.closure_requests.get().handled_at is not None


def test_the_survey_once_per_period_with_activity_points(portal, member, store):
    ActivityTypeFactory(code="survey", points=20)
    buy(member, store, "0.50")  # a customer who bought something (too little for points)
    response = portal.post(
        reverse("portal:survey"),
        {"recommend_score": "9", "repurchase_score": "8", "comment": "Fijn!"},
    )
    assert response.status_code == 302
    answer = SurveyResponse.objects.get()
    assert (answer.recommend_score, answer.repurchase_score, answer.try_new_score) == (9, 8, None)
    assert PointAccount.objects.get(member=member).balance == 20
    # a second answer within the period is refused
    portal.post(reverse("portal:survey"), {"recommend_score": "3"})
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize("score", ["11", "-1", "ten", ""])
def test_survey_scores_out_of_range_are_refused(portal, score):
    response = portal.post(reverse("portal:survey"), {"recommend_score": score})
    assert response.status_code == 200
    assert not SurveyResponse.objects.exists()


def test_store_credit_history(portal, member):
    from rewards.services import store_credit_adjust

    store_credit_adjust(
        member=member, amount=Decimal("12.50"), reason="Kapotte mok", actor=UserFactory()
    )
    content = portal.get(reverse("portal:credit-history")).content.decode()
    assert "€\xa012,50" in content
    assert "Kapotte mok" in content


@pytest.mark.parametrize(
    "name",
    [
        "dashboard",
        "card",
        "history",
        "credit-history",
        "rewards",
        "codes",
        "profile",
        "password",
        "export",
        "close",
        "survey",
    ],
)
def test_every_page_needs_a_signed_in_member(client, name):
    response = client.get(reverse(f"portal:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:login"))


def test_a_blocked_member_is_signed_out(portal, member):
    Member.objects.filter(pk=member.pk).update(status="blocked")
    assert portal.get(reverse("portal:dashboard")).status_code == 302
