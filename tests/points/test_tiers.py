import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from points.models import LoyaltyProgram, PointAccount, TierChange
from points.services import points_adjust
from points.services.tiers import tiers_evaluate_due
from points.signals import purchase_recorded
from rewards.models import IssuedReward
from tests.factories import MemberFactory, RewardFactory, TierFactory, UserFactory
from tests.helpers import buy, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers(db):
    return (
        TierFactory(rank=1, threshold=0, name_nl="Brons"),
        TierFactory(rank=2, threshold=500, name_nl="Zilver", earn_multiplier=Decimal("1.25")),
        TierFactory(rank=3, threshold=1500, name_nl="Goud", earn_multiplier=Decimal("1.50")),
    )


def account_of(member) -> PointAccount:
    return PointAccount.objects.select_related("tier").get(member=member)


def test_a_new_member_starts_in_the_tier_that_needs_no_points(tiers, pos):
    response = pos.post("/api/v1/members/", {"first_name": "Ann"}, format="json")
    body = response.json()
    assert body["tier"]["name"] == "Brons"
    assert body["next_tier"]["name"] == "Zilver"
    assert body["points_to_next_tier"] == 500
    assert body["tier_valid_until"] is None


def test_the_earning_that_crosses_a_threshold_upgrades_in_the_same_transaction(
    tiers, member, store
):
    buy(member, store, "499.00")
    seen_inside = []

    def look(sender, account, **kwargs):  # runs inside the purchase's transaction
        seen_inside.append(PointAccount.objects.get(pk=account.pk).tier.name_nl)

    purchase_recorded.connect(look)
    try:
        buy(member, store, "1.00")
    finally:
        purchase_recorded.disconnect(look)
    assert seen_inside == ["Zilver"]
    change = TierChange.objects.filter(reason="upgrade").get()
    assert (change.to_tier.name_nl, change.qualifying_points) == ("Zilver", 500)


def test_a_failed_earning_leaves_the_tier_as_it_was(tiers, member, store):
    buy(member, store, "499.00")

    def fail(sender, **kwargs):
        raise RuntimeError("till connection lost")

    purchase_recorded.connect(fail)
    try:
        with pytest.raises(RuntimeError):
            buy(member, store, "1.00")
    finally:
        purchase_recorded.disconnect(fail)
    assert account_of(member).tier.name_nl == "Brons"
    assert not TierChange.objects.filter(reason="upgrade").exists()


def test_an_upgrade_is_kept_for_a_whole_window(tiers, member, store):
    buy(member, store, "600.00")
    valid_until = account_of(member).tier_valid_until
    expected = timezone.now() + datetime.timedelta(days=365)
    assert abs((valid_until - expected).total_seconds()) < 2 * 86400


def test_the_tier_multiplier_applies_to_purchases_and_shows_in_the_explanation(
    tiers, member, store
):
    buy(member, store, "600.00")  # reaches Silver
    outcome = buy(member, store, "100.00")
    lines = [(line.source, line.label, line.points) for line in outcome.receipt.explanation]
    assert lines == [("rule", "1 punt per hele euro", 100), ("tier", "Zilver ×1.25", 25)]
    assert outcome.receipt.points_earned == 125


def test_points_bought_or_given_by_staff_do_not_count_unless_staff_say_so(tiers, member):
    staff = UserFactory()
    points_adjust(member=member, points=600, reason="goodwill", actor=staff)
    assert account_of(member).tier is None
    points_adjust(
        member=member, points=600, reason="missed purchases", actor=staff, counts_for_tier=True
    )
    assert account_of(member).tier.name_nl == "Zilver"


def test_downgrade_never_happens_before_valid_until(tiers, member, store):
    buy(member, store, "600.00")
    from points.services import RefundRequest, refund_record

    refund_record(
        request=RefundRequest(
            store=store, transaction_id=buy.last_id(), refund_id="R", amount=Decimal("600.00")
        )
    )
    # qualifying points are back to 0, but the tier holds until valid_until
    run = tiers_evaluate_due(now=timezone.now() + datetime.timedelta(days=300))
    assert run.downgraded == 0
    assert account_of(member).tier.name_nl == "Zilver"
    # when the period has ended
    run = tiers_evaluate_due(now=timezone.now() + datetime.timedelta(days=370))
    # then
    assert run.downgraded == 1
    account = account_of(member)
    assert account.tier.name_nl == "Brons"
    change = TierChange.objects.filter(reason="downgrade").get()
    assert (change.from_tier.name_nl, change.to_tier.name_nl) == ("Zilver", "Brons")


def test_a_member_who_still_qualifies_keeps_the_tier_for_another_window(tiers, member, store):
    buy(member, store, "600.00")
    # given the tier period ended yesterday, while the 600 points are still inside the window
    PointAccount.objects.filter(member=member).update(
        tier_valid_until=timezone.now() - datetime.timedelta(days=1)
    )
    # when
    run = tiers_evaluate_due()
    # then
    assert (run.renewed, run.downgraded) == (1, 0)
    account = account_of(member)
    assert account.tier.name_nl == "Zilver"
    assert account.tier_valid_until > timezone.now() + datetime.timedelta(days=360)


def test_points_outside_the_window_do_not_qualify(tiers, member, store):
    program = LoyaltyProgram.current()
    program.qualifying_window_months = 1
    program.save()
    buy(member, store, "400.00", occurred_at=timezone.now() - datetime.timedelta(days=45))
    buy(member, store, "200.00")
    # 400 are older than the 1-month window: only 200 qualify, not enough for Silver
    assert account_of(member).tier.name_nl == "Brons"
    assert fresh_summary(member)["qualifying_points"] == 200


def fresh_summary(member) -> dict:
    from points.api.serializers import MemberSummaryOutput
    from points.selectors import member_summary_get

    return MemberSummaryOutput(member_summary_get(member=fresh(member))).data


def test_a_tier_gift_is_issued_on_reaching_the_tier(tiers, member, store):
    gift = RewardFactory(points_cost=0, gift_for_tier=tiers[1], name_nl="Welkom in Zilver")
    buy(member, store, "600.00")
    issued = IssuedReward.objects.get(member=member)
    assert (issued.reward, issued.source, issued.points_spent) == (gift, "tier_gift", 0)


def test_the_summary_tells_how_far_the_next_tier_is(tiers, member, store, pos):
    buy(member, store, "700.00")
    body = pos.get(f"/api/v1/members/{member.card_number}/").json()
    assert body["tier"]["name"] == "Zilver"
    assert body["next_tier"]["name"] == "Goud"
    assert body["points_to_next_tier"] == 800
    assert body["tier_valid_until"] is not None


def test_evaluation_places_members_without_a_tier(tiers):
    member = MemberFactory()  # created before tiers applied to them
    run = tiers_evaluate_due()
    assert run.assigned >= 1
    assert account_of(member).tier.name_nl == "Brons"


def test_a_large_evaluation_writes_every_move_and_its_history(tiers):
    """More than 100 moves in a batch take the set-wise path (history rows by COPY on
    PostgreSQL, without model instances): every account moves, and every move is recorded."""
    members = MemberFactory.create_batch(130)
    silver, gold = tiers[1], tiers[2]
    ended = timezone.now() - datetime.timedelta(days=1)
    # given 120 silver and 10 gold members whose period ended, none with qualifying points
    PointAccount.objects.filter(member__in=members[:120]).update(
        tier=silver, tier_valid_until=ended
    )
    PointAccount.objects.filter(member__in=members[120:]).update(tier=gold, tier_valid_until=ended)
    before = TierChange.objects.count()
    # when
    run = tiers_evaluate_due(batch_size=1000)
    # then
    assert run.downgraded == 130
    assert PointAccount.objects.filter(member__in=members, tier__name_nl="Brons").count() == 130
    assert not PointAccount.objects.filter(member__in=members, tier_valid_until__isnull=False)
    moves = TierChange.objects.filter(reason="downgrade")
    assert TierChange.objects.count() - before == 130
    assert {(c.from_tier.name_nl, c.to_tier.name_nl, c.qualifying_points) for c in moves} == {
        ("Zilver", "Brons", 0),
        ("Goud", "Brons", 0),
    }
    assert moves.filter(from_tier=gold).count() == 10
