"""What the programme offers, on the member's pages, from the rules and campaigns in force and
the member's own numbers: ways to earn and spend, tiers, invitations, the value of the points,
the next reward, savings and personal offers."""

from decimal import Decimal

import pytest
from django.urls import reverse

from points.models import EarningRule, LoyaltyProgram
from points.services import points_adjust
from tests.factories import MemberFactory, RewardFactory, UserFactory
from tests.helpers import buy, issue

from .programme import member_in_tier, programme_set_up

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_ways_to_earn_lists_the_rules_campaigns_and_activities_in_force_in_dutch(portal, member):
    programme_set_up()
    html = _text(portal.get(reverse("portal:earn")))
    assert "1 punt per euro die je besteedt" in html
    assert "×2 punten" in html
    assert "op koffie" in html
    assert "+25 punten per aankoop" in html
    assert "vanaf €\xa050,00" in html
    assert "alleen online" in html
    assert "×1,25 punten in Zilver" in html
    assert "×1,5 punten in Goud" in html
    assert "Dubbele punten weekend" in html
    assert "Thee-week" in html  # starts within 30 days
    assert "Review schrijven" in html
    assert "hoogstens 1 keer per dag" in html
    # not in force, not for this member's tier, or too far ahead
    for absent in ["Oude actie", "Uitgezet", "Goudavond", "Voorbij", "Ver weg", "Oude activiteit"]:
        assert absent not in html
    # spending: what points are worth, when they expire, what they buy
    assert "100 punten zijn €\xa01,00 waard aan beloningen." in html
    assert "24 maanden" in html
    assert "Gratis koffie" in html
    assert "10% korting" in html
    assert "Zilveren gebak" not in html  # exclusive to silver and higher


def test_ways_to_earn_in_english_and_for_a_gold_member(portal, member):
    programme = programme_set_up()
    member.language = "en"
    member.save(update_fields=["language"])
    member_in_tier(member, programme.gold)
    html = _text(portal.get(reverse("portal:earn")))
    assert "1 point per euro you spend" in html
    assert "×1.25 points in Silver" in html
    assert "Double points weekend" in html
    assert "Goudavond" in html  # the gold-only campaign, for a gold member
    assert "Silver pastry" in html
    assert "Exclusive for Silver" in html
    assert html.index("Silver pastry") < html.index("Free coffee")  # personal offers first


def test_with_nothing_configured_the_pages_say_so(portal, member):
    EarningRule.objects.all().delete()  # the base rate a migration installs
    earn = _text(portal.get(reverse("portal:earn")))
    assert "Aankopen leveren op dit moment geen punten op." in earn
    tiers = _text(portal.get(reverse("portal:tiers")))
    assert "Dit programma heeft geen niveaus." in tiers
    referral = _text(portal.get(reverse("portal:referral")))
    assert "Er is nu geen beloning voor het uitnodigen van vrienden" in referral


def test_the_tier_table_marks_the_members_tier_and_lists_each_tiers_benefits(portal, member):
    programme = programme_set_up()
    member_in_tier(member, programme.silver)
    html = _text(portal.get(reverse("portal:tiers")))
    rows = html.split("<tr")[2:]  # after the header row
    assert len(rows) == 3
    bronze, silver, gold = rows
    assert "Brons" in bronze
    assert 'aria-current="true"' not in bronze
    assert "Normaal" in bronze
    assert 'class="current" aria-current="true"' in silver
    assert "Je niveau" in silver
    assert "500" in silver
    assert "×1,25 punten" in silver
    assert "Zilveren gebak" in silver
    assert "1.500" in gold
    assert "×1,5 punten" in gold
    assert "Welkom in Goud" in gold
    assert "Je zit in <strong>Zilver</strong>." in html
    assert "Nog 1.500 punten tot Goud." in html  # no points earned in the window yet


def test_the_referral_page_has_a_share_link_and_says_what_both_sides_get(portal, member):
    programme_set_up()
    member.referral_code = "ANNA2345"
    member.save(update_fields=["referral_code"])
    friend = MemberFactory(referred_by=member)
    MemberFactory(referred_by=member)
    html = _text(portal.get(reverse("portal:referral")))
    share = f"http://testserver/signup/?ref={member.referral_code}"
    assert f'value="{share}"' in html
    assert "Jij:</strong> € 5 korting en 50 bonuspunten" in html
    assert "Je vriend:</strong> € 5 korting en 50 bonuspunten" in html
    assert "2 vrienden aangemeld, waarvan 0 een aankoop deden." in html
    # when a friend buys, the count follows
    from tests.factories import StoreFactory

    buy(friend, StoreFactory(), "10.00")
    html = _text(portal.get(reverse("portal:referral")))
    assert "2 vrienden aangemeld, waarvan 1 een aankoop deed." in html


def test_the_invitation_link_fills_in_the_friends_code_on_sign_up(client):
    html = _text(client.get(reverse("portal:signup") + "?ref=ANNA2345"))
    assert 'value="ANNA2345"' in html


def test_a_member_without_a_referral_code_gets_one_and_keeps_it(portal, member):
    # given a member from before referral codes
    assert member.referral_code is None
    html = _text(portal.get(reverse("portal:referral")))
    assert 'id="get-link"' in html
    assert "?ref=" not in html
    # when they ask for their link
    response = portal.post(reverse("portal:referral"))
    assert response.status_code == 302
    member.refresh_from_db()
    code = member.referral_code
    assert code
    assert len(code) == 8
    assert f"/signup/?ref={code}" in _text(portal.get(reverse("portal:referral")))
    # and asking again changes nothing
    portal.post(reverse("portal:referral"))
    member.refresh_from_db()
    assert member.referral_code == code


def test_the_dashboard_shows_the_euro_value_and_the_next_reward(portal, member, store):
    programme = programme_set_up()
    points_adjust(member=member, points=100, reason="welkom", actor=UserFactory())
    html = _text(portal.get("/"))
    assert "Waard €\xa01,00 aan beloningen" in html
    assert "Nog 50 punten tot Gratis koffie" in html
    assert 'aria-valuenow="66"' in html
    # with 150 points the next one is the discount
    points_adjust(member=member, points=50, reason="extra", actor=UserFactory())
    html = _text(portal.get("/"))
    assert "Nog 350 punten tot 10% korting" in html
    assert programme.coffee.points_cost == 150


def test_the_euro_value_follows_the_programmes_point_value(portal, member):
    program = LoyaltyProgram.current()
    program.point_value = Decimal("0.0250")
    program.save()
    points_adjust(member=member, points=1234, reason="welkom", actor=UserFactory())
    assert "Waard €\xa030,85 aan beloningen" in _text(portal.get("/"))


def test_a_member_who_can_afford_everything_is_told_so(portal, member):
    RewardFactory(points_cost=100)
    points_adjust(member=member, points=100, reason="welkom", actor=UserFactory())
    assert "Je hebt genoeg punten voor elk van onze beloningen." in _text(portal.get("/"))


def test_the_dashboard_says_what_the_member_saved_with_codes_and_store_credit(
    portal, member, store
):
    # given a €5 code used on a purchase and €3 of store credit spent
    code = issue(member, RewardFactory(points_cost=0, fixed=True), source="campaign")
    credit = RewardFactory(points_cost=0, credit=True, value=Decimal("10.00"))
    issue(member, credit, source="staff")
    buy(member, store, "40.00", codes=[code.code], store_credit="3.00")
    html = _text(portal.get("/"))
    assert "Je hebt €\xa08,00 bespaard" in html
    assert "€\xa05,00 aan kortingen en €\xa03,00 aan tegoed." in html


def test_a_refund_gives_back_savings_it_returned(portal, member, store):
    credit = RewardFactory(points_cost=0, credit=True, value=Decimal("10.00"))
    issue(member, credit, source="staff")
    outcome = buy(member, store, "40.00", store_credit="4.00")
    from points.services import RefundRequest, refund_record

    refund_record(
        request=RefundRequest(
            store=store,
            transaction_id=outcome.purchase.transaction_id,
            refund_id="R1",
            amount=Decimal("40.00"),
        )
    )
    html = _text(portal.get("/"))
    assert "Je hebt €" not in html
    assert "Gebruik een beloning aan de kassa" in html


def test_personal_offers_come_first_among_rewards_and_codes(portal, member):
    programme = programme_set_up()
    member_in_tier(member, programme.silver)
    points_adjust(member=member, points=1000, reason="welkom", actor=UserFactory())
    bought = issue(member, programme.coffee, source="points")
    gift = issue(
        member, RewardFactory(name_nl="Verjaardagstaart", points_cost=0), source="campaign"
    )
    rewards = _text(portal.get(reverse("portal:rewards")))
    assert "Jouw persoonlijke aanbiedingen" in rewards
    assert rewards.index("Verjaardagstaart") < rewards.index("Zilveren gebak")
    assert rewards.index("Zilveren gebak") < rewards.index("Gratis koffie")
    codes = _text(portal.get(reverse("portal:codes")))
    assert codes.index(gift.display_code) < codes.index(bought.display_code)
    assert "Persoonlijk aanbod" in codes
