"""The history, its date filter and the monthly chart follow the date a purchase was made, not
when the till posted it; each purchase shows its amount and how its points add up, in the
member's language."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Member
from points.services import points_adjust
from portal.templatetags.portal import month_abbreviation, short_date
from tests.factories import EarningRuleFactory, RewardFactory, UserFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def local_noon(days_ago: int) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def test_a_purchase_posted_late_is_dated_and_sorted_by_when_it_was_made(portal, member, store):
    # given a purchase today, then one made 60 days ago that the till posts only now
    buy(member, store, "10.00", transaction_id="TODAY")
    made = local_noon(60)
    buy(member, store, "20.00", transaction_id="LATE", occurred_at=made)
    # when the member opens the history
    rows = portal.get(reverse("portal:history")).context["rows"]
    # then the late one is dated the day it was made, below today's purchase
    assert [row.purchase_amount for row in rows] == [10, 20]
    assert timezone.localdate(rows[1].happened_at) == made.date()


def test_the_date_filter_uses_the_purchase_date(portal, member, store):
    made = local_noon(45)
    buy(member, store, "20.00", transaction_id="LATE", occurred_at=made)
    day = made.date().isoformat()
    on_the_day = portal.get(reverse("portal:history"), {"date_from": day, "date_to": day})
    assert [row.purchase_amount for row in on_the_day.context["rows"]] == [20]
    today = timezone.localdate().isoformat()
    assert portal.get(reverse("portal:history"), {"date_from": today}).context["rows"] == []


def test_the_chart_counts_points_in_the_month_they_were_earned(portal, member, store):
    # given purchases made in three different months, all posted today
    for months_back in (0, 1, 2):
        buy(
            member,
            store,
            "10.00",
            transaction_id=f"M{months_back}",
            occurred_at=local_noon(31 * months_back) if months_back else None,
        )
    # when
    chart = portal.get(reverse("portal:dashboard")).context["page"].chart
    # then there are three bars of 10, not one of 30
    assert [bar["earned"] for bar in chart["bars"] if bar["earned"]] == [10, 10, 10]


def test_a_purchase_shows_its_amount_and_its_points_explained_in_the_members_language(
    portal, member, store
):
    # given a bonus rule, and a purchase recorded while Dutch was active
    EarningRuleFactory(name_nl="Dubbel op dinsdag", name_en="Double Tuesday", bonus_points=5)
    buy(member, store, "24.95")
    Member.objects.filter(pk=member.pk).update(language="en")
    # when
    content = portal.get(reverse("portal:history")).content.decode()
    # then
    assert "Amount spent: €\xa024.95" in content
    assert "How these points add up" in content
    assert "Double Tuesday: +5" in content
    assert "Dubbel op dinsdag" not in content


def test_a_redeemed_reward_reads_in_the_members_language(portal, member):
    points_adjust(member=member, points=300, reason="test", actor=UserFactory())
    reward = RewardFactory(points_cost=250, name_nl="Gratis koffie", name_en="Free coffee")
    key = portal.get(reverse("portal:reward-confirm", args=[reward.pk])).context["form"].initial
    portal.post(reverse("portal:reward-redeem", args=[reward.pk]), key)
    Member.objects.filter(pk=member.pk).update(language="en")
    content = portal.get(reverse("portal:history")).content.decode()
    assert "Reward redeemed: Free coffee" in content
    assert "Gratis koffie" not in content


@pytest.mark.parametrize(("language", "month"), [("nl", "mrt"), ("en", "Mar")])
def test_month_abbreviations_are_lower_case_in_dutch_only(language, month):
    with translation.override(language):
        assert short_date(datetime.date(2026, 3, 7)) == f"7 {month} 2026"
        assert month_abbreviation(datetime.date(2026, 3, 7)) == month
