"""Holdout groups of bonus campaigns: the draw, the purchase and quote, the audience count, the
admin form."""

import datetime
import zlib
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Member
from campaigns.assignment import assignment_draw, bonus_held_out, draw
from campaigns.bonus import bonus_campaigns_cache_clear
from campaigns.models import BonusAudience, BonusCampaign
from campaigns.services import audience_contains, bonus_audience_count, bonus_audiences_refresh_due
from loyalty_site import roles
from points.models import PointAccount
from points.services import PurchaseRequest, purchase_quote
from tests.concurrency import held_elsewhere
from tests.factories import MemberFactory, SegmentFactory, TierFactory
from tests.helpers import buy
from tests.staff.helpers import login

from .helpers import bonus_campaign_form

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def campaign(**kwargs) -> BonusCampaign:
    now = timezone.now()
    values = {
        "name_nl": "Dubbele punten",
        "name_en": "Double points",
        "kind": "multiplier",
        "multiplier": Decimal("2"),
        "starts_at": now - HOUR,
        "ends_at": now + 24 * HOUR,
        "holdout_percent": 50,
        **kwargs,
    }
    tiers = values.pop("tiers", None)
    created = BonusCampaign.objects.create(**values)
    if tiers:
        created.tiers.set(tiers)
    return created


def one_of_each(offer: BonusCampaign) -> tuple[Member, Member]:
    """A member the campaign holds out and one it treats (members are made until both exist)."""
    found: dict[bool, Member] = {}
    while len(found) < 2:
        member = MemberFactory()
        held_out = bonus_held_out(
            campaign_id=offer.pk, member_id=member.pk, holdout_percent=offer.holdout_percent
        )
        found.setdefault(held_out, member)
    return found[True], found[False]


def campaign_points(explanation) -> int:
    return sum(line.points for line in explanation if line.source == "campaign")


# --- the draw ----------------------------------------------------------------------------------


def test_a_member_stays_in_the_same_group_on_every_run():
    first = [bonus_held_out(campaign_id=4, member_id=m, holdout_percent=30) for m in range(200)]
    again = [bonus_held_out(campaign_id=4, member_id=m, holdout_percent=30) for m in range(200)]
    assert first == again
    assert 40 <= sum(first) <= 80  # about 30 % of 200 held out
    assert not any(
        bonus_held_out(campaign_id=4, member_id=m, holdout_percent=0) for m in range(200)
    )


def test_the_bonus_draw_is_salted_apart_from_the_automations_draw():
    # The same ids give other numbers: an automation and a campaign with the same id do not
    # hold out the same members.
    bonus = [draw(salt="bonus-holdout", owner_id=7, member_id=m) for m in range(200)]
    automation = [assignment_draw(automation_id=7, member_id=m) for m in range(200)]
    assert all(b != a for b, a in zip(bonus, automation, strict=True))
    both = sum(1 for b, a in zip(bonus, automation, strict=True) if b < 0.5 and a < 0.5)
    assert 25 <= both <= 75  # independent: about a quarter of 200 in both holdouts


# --- purchase and quote ------------------------------------------------------------------------


def test_a_held_out_member_gets_no_campaign_points_at_purchase_or_quote(store):
    # given a double-points campaign holding out half, and a second one without a holdout
    offer = campaign()
    campaign(name_nl="Altijd", kind="fixed_bonus", bonus_points=5, holdout_percent=0)
    held, treated = one_of_each(offer)
    for member, expected in ((held, 0), (treated, 40)):
        request = PurchaseRequest(
            store=store, member=member, transaction_id="Q", amount=Decimal("40"), currency="EUR"
        )
        # when quoted and bought
        quoted = purchase_quote(request=request)
        bought = buy(member, store, "40.00")
        # then the quote agrees with the purchase; the held-out member misses only this campaign
        lines = bought.receipt.explanation
        assert campaign_points(quoted.explanation) == campaign_points(lines) == expected + 5
        assert [line.points for line in lines if line.source == "rule"] == [40]
        assert bought.receipt.points_earned == 40 + 5 + expected
        assert PointAccount.objects.get(member=member).balance == 40 + 5 + expected


def test_the_holdout_adds_no_query_to_a_purchase(store):
    # given members the campaign holds out and treats, each with a first purchase behind them,
    # under a holdout of 50 % and then of 0 %
    offer = campaign()
    pairs = {holdout_percent: one_of_each(offer) for holdout_percent in (50, 0)}
    for pair in pairs.values():
        for member in pair:
            buy(member, store, "1.00")
    counts = {}
    for holdout_percent, (held, treated) in pairs.items():
        BonusCampaign.objects.filter(pk=offer.pk).update(holdout_percent=holdout_percent)
        bonus_campaigns_cache_clear()
        buy(MemberFactory(), store, "1.00")  # warms the cache
        for name, member in (("held", held), ("treated", treated)):
            with CaptureQueriesContext(connection) as captured:
                buy(member, store, "40.00")
            counts[(holdout_percent, name)] = len(captured)
    # then the purchases cost the same queries with and without the holdout
    assert counts[(50, "treated")] == counts[(0, "treated")]
    assert counts[(50, "held")] == counts[(0, "held")]


# --- the audience count ------------------------------------------------------------------------


def test_the_audience_is_counted_once_with_its_groups_and_members():
    # given three members before the start
    offer = campaign(holdout_percent=50)
    before = [MemberFactory(enrolled_at=offer.starts_at - HOUR) for _ in range(3)]
    late = MemberFactory(enrolled_at=offer.starts_at + datetime.timedelta(minutes=1))
    # when the job runs
    assert bonus_audiences_refresh_due() == 1
    audience = BonusAudience.objects.get(campaign=offer)
    # then the groups follow the draw, the late member is not in the audience
    held = sum(
        bonus_held_out(campaign_id=offer.pk, member_id=member.pk, holdout_percent=50)
        for member in before
    )
    assert (audience.treated_members, audience.held_out_members) == (3 - held, held)
    assert sum(sum(pair) for pair in audience.counts_by_store.values()) == 3
    bitmap = zlib.decompress(audience.members)
    assert all(audience_contains(bitmap, member.pk) for member in before)
    assert not audience_contains(bitmap, late.pk)
    # and a second run (later, with another member) changes nothing
    MemberFactory(enrolled_at=offer.starts_at - HOUR)
    assert bonus_audiences_refresh_due() == 0
    again = bonus_audience_count(offer, now=timezone.now())
    assert (again.treated_members, again.held_out_members, again.members) == (
        audience.treated_members,
        audience.held_out_members,
        audience.members,
    )
    assert BonusAudience.objects.count() == 1


def test_the_audience_is_the_campaigns_tiers_and_segment():
    gold = TierFactory(rank=2, threshold=10_000)
    starts_at = timezone.now() - HOUR
    golden, plain = (MemberFactory(enrolled_at=starts_at - HOUR) for _ in range(2))
    PointAccount.objects.filter(member=golden).update(tier=gold, balance=500)
    PointAccount.objects.filter(member=plain).update(balance=500)
    by_tier = campaign(tiers=[gold], starts_at=starts_at)
    by_segment = campaign(segment=SegmentFactory(min_points_balance=100), starts_at=starts_at)
    poor = MemberFactory(enrolled_at=starts_at - HOUR)  # balance 0: not in the segment
    bonus_audiences_refresh_due()
    tier_members = zlib.decompress(BonusAudience.objects.get(campaign=by_tier).members)
    segment_members = zlib.decompress(BonusAudience.objects.get(campaign=by_segment).members)
    assert [audience_contains(tier_members, m.pk) for m in (golden, plain, poor)] == [
        True,
        False,
        False,
    ]
    assert [audience_contains(segment_members, m.pk) for m in (golden, plain, poor)] == [
        True,
        True,
        False,
    ]


def test_purchases_are_recounted_hourly_while_running_then_daily_for_90_days(store):
    # given a campaign counted at its start
    offer = campaign(holdout_percent=50)
    start = offer.starts_at
    member = MemberFactory(enrolled_at=start - HOUR)
    assert bonus_audiences_refresh_due(now=start + HOUR) == 1
    audience = BonusAudience.objects.get(campaign=offer)
    assert audience.results_by_store == {}
    # when the member buys, the next recount within the hour does nothing, the one after does
    buy(member, store, "40.00")
    assert bonus_audiences_refresh_due(now=start + HOUR + 30 * MINUTE) == 0
    assert bonus_audiences_refresh_due(now=start + 2 * HOUR + MINUTE) == 1
    audience.refresh_from_db()
    group = int(bonus_held_out(campaign_id=offer.pk, member_id=member.pk, holdout_percent=50))
    ((results),) = audience.results_by_store.values()
    assert results[group][:2] == [1, "40.00"]
    assert results[1 - group][0] == 0
    # and after the end: daily, until the last late purchase could have come in
    ends = offer.ends_at
    assert bonus_audiences_refresh_due(now=ends + DAY + 2 * HOUR) == 1
    assert bonus_audiences_refresh_due(now=ends + DAY + 5 * HOUR) == 0
    assert bonus_audiences_refresh_due(now=ends + 2 * DAY + 3 * HOUR) == 1
    assert bonus_audiences_refresh_due(now=ends + 91 * DAY) == 1  # after the last one at 2 days
    assert bonus_audiences_refresh_due(now=ends + 95 * DAY) == 0


def test_a_run_while_another_holds_the_job_lock_does_nothing():
    campaign()
    with held_elsewhere("campaigns.bonus_audiences_refresh"):
        assert bonus_audiences_refresh_due() == 0
    assert not BonusAudience.objects.exists()
    assert bonus_audiences_refresh_due() == 1


def test_only_started_active_campaigns_with_a_holdout_are_counted():
    later = timezone.now() + HOUR
    campaign(starts_at=later, ends_at=later + HOUR)
    campaign(holdout_percent=0)
    campaign(is_active=False)
    assert bonus_audiences_refresh_due() == 0
    assert not BonusAudience.objects.exists()


def test_the_count_is_a_command_too(capsys):
    campaign()
    call_command("refresh_bonus_audiences")
    assert "Counted the figures of 1 campaigns." in capsys.readouterr().out
    assert BonusAudience.objects.count() == 1


# --- the admin form ----------------------------------------------------------------------------


def _form(**changes) -> dict:
    return bonus_campaign_form(**{"holdout_percent": "20", **changes})


def test_the_form_shows_and_saves_the_holdout(client):
    login(client, roles.MARKETING)
    page = client.get(reverse("admin:campaigns_bonuscampaign_add")).content.decode()
    assert 'name="holdout_percent"' in page
    response = client.post(
        reverse("admin:campaigns_bonuscampaign_add"), _form(), HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert response.status_code == 302
    assert BonusCampaign.objects.get().holdout_percent == 20


def test_the_form_shows_the_groups_once_counted(client):
    login(client, roles.MARKETING)
    offer = campaign(holdout_percent=50)
    MemberFactory(enrolled_at=offer.starts_at - HOUR)
    url = reverse("admin:campaigns_bonuscampaign_change", args=[offer.pk])
    with translation.override("en"):
        assert "Not counted yet" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        bonus_audiences_refresh_due()
        audience = BonusAudience.objects.get()
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        f"{audience.treated_members} members treated, {audience.held_out_members} held out" in page
    )


@pytest.mark.parametrize("value", ["-1", "51", "twenty", "12.5"])
def test_a_bad_holdout_is_a_form_error_and_nothing_is_saved(client, value):
    login(client, roles.MARKETING)
    response = client.post(
        reverse("admin:campaigns_bonuscampaign_add"),
        _form(holdout_percent=value),
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    assert response.status_code == 200
    assert "holdout_percent" in response.context["adminform"].form.errors
    assert not BonusCampaign.objects.exists()


def test_the_holdout_cannot_change_once_the_campaign_started(client):
    login(client, roles.MARKETING)
    started = campaign(holdout_percent=20, kind="fixed_bonus", bonus_points=100)
    url = reverse("admin:campaigns_bonuscampaign_change", args=[started.pk])
    starts = {
        "starts_at_0": timezone.localtime(started.starts_at).strftime("%d-%m-%Y"),
        "starts_at_1": timezone.localtime(started.starts_at).strftime("%H:%M:%S"),
    }
    response = client.post(url, _form(holdout_percent="30", **starts), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "cannot change once the campaign has started" in str(
        response.context["adminform"].form.errors["holdout_percent"]
    )
    started.refresh_from_db()
    assert started.holdout_percent == 20
    # other changes still save
    response = client.post(url, _form(holdout_percent="20", name_nl="Nieuw", **starts))
    assert response.status_code == 302
    started.refresh_from_db()
    assert (started.name_nl, started.holdout_percent) == ("Nieuw", 20)


def test_the_database_refuses_a_holdout_over_half():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        campaign(holdout_percent=51)
