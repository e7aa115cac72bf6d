"""Helpers of the portal's browser tests: a member with a history worth showing, signed in."""

from decimal import Decimal

from accounts.portal import login_link_create
from points.services import points_adjust
from rewards.models import IssuedReward
from tests.factories import MemberFactory, RewardFactory, StoreFactory, UserFactory
from tests.helpers import buy, issue

from .programme import Programme, programme_set_up


def member_with_history(**fields):
    """A member with purchases, points, a bought code, a personal offer and
    store credit, in a programme with rules, tiers, campaigns and rewards."""
    programme: Programme = programme_set_up()
    store = StoreFactory(code="AMS01", name="Amsterdam Centrum")
    fields = {"language": "nl", **fields}
    member = MemberFactory(
        email="anna@example.com", first_name="Anna", referral_code="ANNA2345", **fields
    )
    buy(member, store, "64.50", lines=[("KOF-250", "koffie", "12.50"), ("THE-1", "thee", "52.00")])
    buy(member, store, "23.10")
    points_adjust(member=member, points=60, reason="welkom", actor=UserFactory())
    issue(member, programme.coffee, source="points")
    issue(
        member,
        RewardFactory(name_nl="Verjaardagstaart", name_en="Birthday cake", points_cost=0),
        source="campaign",
    )
    issue(member, RewardFactory(points_cost=0, credit=True, value=Decimal("7.50")), source="staff")
    used = issue(member, RewardFactory(points_cost=0, fixed=True), source="staff")
    buy(member, store, "30.00", codes=[used.code], store_credit="2.50")  # saves € 7,50
    return member, programme


def sign_in(browser_page, member) -> None:
    browser_page.goto(f"{browser_page.base_url}/login/link/{login_link_create(member=member)}/")
    browser_page.click("#sign-in")
    browser_page.wait_for_url(browser_page.base_url + "/")


def first_code(member) -> IssuedReward:
    return IssuedReward.objects.filter(member=member).exclude(code__isnull=True).first()
