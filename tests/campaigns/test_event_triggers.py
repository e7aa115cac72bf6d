"""Automations that react to events: welcome, first and Nth purchase, birthday, tier, expiring
points, referral."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.services import member_enrol
from campaigns.models import Delivery
from campaigns.services import automation_run
from points.models import LoyaltyProgram, PointsEntry
from tests.factories import AutomationFactory, MemberFactory, RewardFactory, TierFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def deliveries() -> list[tuple[str, str]]:
    return list(Delivery.objects.order_by("pk").values_list("member__first_name", "period_key"))


def test_welcome_on_enrolment(django_capture_on_commit_callbacks, store):
    AutomationFactory(trigger="welcome", days=None, reward=None, bonus_points=25)
    with django_capture_on_commit_callbacks(execute=True):
        member = member_enrol(
            first_name="Nina", email="nina@example.com", consents={"email": True}, store=store
        )
    delivery = Delivery.objects.get()
    assert (delivery.member, delivery.status) == (member, "sent")
    assert delivery.bonus_entry.points == 25
    assert PointsEntry.objects.get(kind="bonus").points == 25
    assert "25" in mail.outbox[0].body


def test_first_purchase_gives_a_code_once(django_capture_on_commit_callbacks, store):
    AutomationFactory(trigger="first_purchase", days=None)
    member = MemberFactory(first_name="Fien")
    with django_capture_on_commit_callbacks(execute=True):
        buy(member, store, "10.00")
        buy(member, store, "10.00")
    assert deliveries() == [("Fien", "first")]


def test_a_stamp_card_rewards_every_nth_purchase_in_a_category(
    django_capture_on_commit_callbacks, store
):
    AutomationFactory(
        trigger="nth_purchase", days=None, every_n=3, category="coffee", cooldown_days=0
    )
    member = MemberFactory(first_name="Koos")
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(7):
            category = "coffee" if index != 1 else "books"
            buy(member, store, "5.00", lines=[("X", category, "5.00")])
    # coffee purchases number 1..6: stamps full at the 3rd and 6th
    assert deliveries() == [("Koos", "nth:3"), ("Koos", "nth:6")]


def test_birthday_on_the_local_date(django_capture_on_commit_callbacks):
    automation = AutomationFactory(trigger="birthday", days=None, cooldown_days=0)
    today = timezone.localdate()
    MemberFactory(first_name="Jarig", birth_date=today.replace(year=1990))
    MemberFactory(
        first_name="Morgen", birth_date=(today + datetime.timedelta(days=1)).replace(year=1990)
    )
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(automation)
        automation_run(automation)  # a second run the same day gives nothing more
    assert deliveries() == [("Jarig", f"birthday:{today.year}")]


def test_leap_day_birthdays_are_celebrated_on_28_february(django_capture_on_commit_callbacks):
    automation = AutomationFactory(trigger="birthday", days=None)
    MemberFactory(first_name="Schrikkel", birth_date=datetime.date(2000, 2, 29))
    amsterdam_noon = datetime.datetime(2027, 2, 28, 11, 0, tzinfo=datetime.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(automation, now=amsterdam_noon)
    assert [name for name, _key in deliveries()] == ["Schrikkel"]


def test_reaching_a_tier(django_capture_on_commit_callbacks, store):
    TierFactory(rank=1, threshold=0)
    silver = TierFactory(rank=2, threshold=100, name_nl="Zilver")
    AutomationFactory(trigger="tier_reached", days=None, tier=silver)
    member = MemberFactory(first_name="Zara")
    with django_capture_on_commit_callbacks(execute=True):
        buy(member, store, "50.00")
        buy(member, store, "60.00")
    assert [name for name, _key in deliveries()] == ["Zara"]


def test_points_expiring_within_n_days(django_capture_on_commit_callbacks, store):
    program = LoyaltyProgram.current()
    program.points_expire_after_months = 3
    program.save()
    automation = AutomationFactory(trigger="points_expiring", days=30, reward=None, bonus_points=1)
    soon, later = MemberFactory(first_name="Binnenkort"), MemberFactory(first_name="Later")
    buy(soon, store, "40.00", occurred_at=timezone.now() - datetime.timedelta(days=75))
    buy(later, store, "40.00")
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(automation)
    assert [name for name, _key in deliveries()] == ["Binnenkort"]


def test_referral_rewards_the_referrer_and_the_newcomer_after_a_first_purchase(
    django_capture_on_commit_callbacks, store
):
    AutomationFactory(
        trigger="referral",
        days=None,
        reward=RewardFactory(points_cost=0, credit=True, value=Decimal("5")),
        reward_newcomer=True,
    )
    ambassador = member_enrol(first_name="Ambassadeur")
    newcomer = member_enrol(first_name="Nieuw", referral_code=ambassador.referral_code.lower())
    assert newcomer.referred_by == ambassador
    assert deliveries() == []  # enrolling alone earns nothing yet
    with django_capture_on_commit_callbacks(execute=True):
        buy(newcomer, store, "20.00")
        buy(newcomer, store, "20.00")
    assert sorted(name for name, _key in deliveries()) == ["Ambassadeur", "Nieuw"]
    assert ambassador.store_credit.balance == Decimal("5.00")


def test_an_unknown_referral_code_is_refused(pos):
    response = pos.post("/api/v1/members/", {"referral_code": "NOPE2345"}, format="json")
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (
        "unknown_referral_code",
        "referral_code",
    )


def test_event_deliveries_wait_for_the_commit(django_capture_on_commit_callbacks, store):
    AutomationFactory(trigger="first_purchase", days=None)
    member = MemberFactory(email_consent_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        buy(member, store, "10.00")
    # nothing issued or sent inside the purchase's transaction
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.issued_reward, mail.outbox) == ("pending", None, [])
    assert len(callbacks) == 1
    for callback in callbacks:
        with django_capture_on_commit_callbacks(execute=True):
            callback()
    assert Delivery.objects.get().status == "sent"
