"""The member page shows everything about a member on one screen, fast for long histories."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import member_consent_set, staff_action_record
from campaigns.models import Delivery, SurveyResponse
from loyalty_site import roles
from points.services import RefundRequest, activity_record, refund_record
from tests.factories import (
    ActivityTypeFactory,
    AutomationFactory,
    MemberFactory,
    RewardFactory,
    StoreFactory,
    UserFactory,
)
from tests.helpers import buy, issue

from .helpers import member_url

pytestmark = pytest.mark.django_db


def give_history(member, store, *, times: int, automation, reward) -> None:
    """`times` of everything the page shows: purchases (each refunded), activities, codes,
    automations received, survey answers, consent changes and staff actions."""
    staff = UserFactory(username=f"history-{member.pk}")
    review = ActivityTypeFactory(code="review", points=5)
    for index in range(times):
        outcome = buy(member, store, "30.00", transaction_id=f"H{member.pk}-{index}")
        refund_record(
            request=RefundRequest(
                store=store,
                transaction_id=outcome.purchase.transaction_id,
                refund_id="R1",
                amount=Decimal("10.00"),
            )
        )
        activity_record(member=member, activity_type=review, reference=f"review-{index}")
        issued = issue(member, reward)
        Delivery.objects.create(
            automation=automation,
            member=member,
            period_key=f"p{index}",
            status="sent" if index % 2 else "failed",
            issued_reward=issued,
            converted_at=timezone.now() if index % 3 == 0 else None,
            converted_purchase=outcome.purchase if index % 3 == 0 else None,
        )
        SurveyResponse.objects.create(
            member=member, recommend_score=index % 11, repurchase_score=7, comment=f"c{index}"
        )
        member_consent_set(member=member, channel="sms", is_granted=index % 2 == 0, source="pos")
        staff_action_record(
            actor=staff, action="adjust_points", member=member, reason=f"why {index}"
        )


@pytest.fixture
def history(db):
    store = StoreFactory(code="AMS01", name="Amsterdam Centrum")
    return store, AutomationFactory(name="Terugkomkorting"), RewardFactory(name_nl="Tien procent")


def test_the_member_page_shows_every_part_of_the_member_history(client, history):
    # given
    store, automation, reward = history
    member = MemberFactory(first_name="Saskia", enrolled_store=store)
    referred = MemberFactory(referred_by=member)
    give_history(member, store, times=2, automation=automation, reward=reward)
    client.force_login(UserFactory(is_superuser=True))
    # when
    response = client.get(member_url(member))
    # then
    assert response.status_code == 200
    page = response.content.decode()
    for text in [
        "Amsterdam Centrum",  # purchases per store, and the ledger line
        f"H{member.pk}-1",  # a receipt
        "€ 10,00 (−",  # the refund, with the points it took back
        "review-1",  # an activity
        "Terugkomkorting",  # an automation received
        "c1",  # a survey comment
        "why 1",  # the audit trail
        "Tien procent",  # a code's reward
    ]:
        assert text in page, text
    assert response.context["member_summary"]
    assert [section.slug for section in response.context["member_sections"]] == [
        "score",
        "points",
        "tiers",
        "codes",
        "credit",
        "purchases",
        "activities",
        "deliveries",
        "surveys",
        "consent",
        "audit",
    ]
    assert str(referred.card_number) not in page  # referrals are counted, not listed
    assert "Ambassador" in page or "Ambassadeur" in page  # they referred someone


def test_the_member_page_does_not_grow_its_queries_with_the_history(
    client, history, django_assert_max_num_queries
):
    # given: one member with one of everything, one with twelve of everything
    store, automation, reward = history
    small, large = MemberFactory(), MemberFactory()
    give_history(small, store, times=1, automation=automation, reward=reward)
    give_history(large, store, times=12, automation=automation, reward=reward)
    client.force_login(UserFactory(is_superuser=True))

    def queries_for(member) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(member_url(member)).status_code == 200
        return len(captured)

    # when / then: the same number of queries, whatever the history (no N+1)
    queries_for(small)  # warm caches (programme settings, content types)
    assert queries_for(large) == queries_for(small)
    with django_assert_max_num_queries(40):
        client.get(member_url(large))


def test_sections_show_the_latest_rows_and_link_to_the_rest(client, history):
    store, automation, reward = history
    member = MemberFactory()
    for index in range(30):
        SurveyResponse.objects.create(
            member=member,
            recommend_score=9,
            comment=f"answer-{index:02d}",
            created_at=timezone.now() - datetime.timedelta(days=30 - index),
        )
    client.force_login(UserFactory(is_superuser=True))
    page = client.get(member_url(member)).content.decode()
    assert "answer-29" in page  # the newest
    assert "answer-04" not in page  # beyond the latest 25
    assert f"/admin/campaigns/surveyresponse/?q={member.card_number}" in page


@pytest.mark.parametrize(
    ("role", "sees_audit_trail"),
    [(roles.CASHIER, True), (roles.MARKETING, False), (roles.MANAGER, True)],
)
def test_the_audit_trail_section_needs_its_view_permission(client, role, sees_audit_trail):
    member = MemberFactory()
    staff_action_record(actor=UserFactory(), action="adjust_points", member=member, reason="x")
    client.force_login(UserFactory(role=role))
    response = client.get(member_url(member))
    assert response.status_code == 200
    slugs = [section.slug for section in response.context["member_sections"]]
    assert ("audit" in slugs) is sees_audit_trail


def test_staff_without_a_role_cannot_open_a_member(client, member):
    client.force_login(UserFactory())
    assert client.get(member_url(member)).status_code == 403


def test_the_points_history_shows_when_a_purchase_was_made_not_when_it_was_booked(client):
    # given: a till that was offline sends a purchase of three days ago
    store = StoreFactory()
    member = MemberFactory()
    made = timezone.now() - datetime.timedelta(days=3)
    buy(member, store, "40.00", occurred_at=made)
    client.force_login(UserFactory(role=roles.CASHIER))
    # when
    page = client.get(member_url(member)).content.decode()
    # then: the ledger's date is the purchase's, as in the purchases section, and says when
    # it was booked
    ledger = page[page.index('id="member-points"') : page.index('id="member-tiers"')]
    made_on = timezone.localtime(made).strftime("%d-%m-%Y")
    booked_on = timezone.localdate().strftime("%d-%m-%Y")
    assert made_on in ledger
    assert f"geboekt {booked_on}" in ledger
