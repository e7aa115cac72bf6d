"""Merging two members (campaigns.services.member_merge): what moves, what stays, bad input."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.models import CardAlias, ConsentChange, Member, StaffAction
from accounts.services import (
    member_consent_set,
    member_enrol,
    member_erase,
    member_referral_code_ensure,
    member_set_status,
)
from campaigns.models import Delivery, SurveyResponse
from campaigns.services.merge import member_merge
from core.errors import ApplicationError, MemberBlocked
from core.models import OutboxJob
from points.models import Activity, EntryKind, PointAccount, PointsEntry, Purchase, ScoreEntry
from points.score import score_of
from points.selectors import ledger_mismatches, member_get_by_card
from points.services import account_lock, points_adjust
from points.tiers import qualifying_points
from rewards.models import IssuedReward, StoreCreditAccount, StoreCreditEntry
from rewards.services import credit_account_lock, credit_append
from tests.factories import (
    ActivityTypeFactory,
    AutomationFactory,
    EarningRuleFactory,
    MemberFactory,
    RewardFactory,
    TierFactory,
    UserFactory,
)
from tests.helpers import buy, issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory()


@pytest.fixture
def pair(store):
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    return MemberFactory(), MemberFactory()


def merge(duplicate, survivor, actor, reason="Same customer, two cards"):
    with transaction.atomic():
        return member_merge(duplicate=duplicate, survivor=survivor, reason=reason, actor=actor)


def balance(member) -> int:
    return PointAccount.objects.get(member=member).balance


def test_points_move_to_the_survivor_and_the_ledgers_stay_balanced(pair, store, staff):
    # given a duplicate with 120 points earned and a survivor with 30
    duplicate, survivor = pair
    buy(duplicate, store, "120.00")
    buy(survivor, store, "30.00")
    # when they are merged
    result = merge(duplicate, survivor, staff)
    # then the survivor holds 150, the duplicate none, and every balance equals its entries
    assert result.points == 120
    assert balance(survivor) == 150
    assert balance(duplicate) == 0
    assert list(ledger_mismatches()) == []
    out = PointsEntry.objects.get(account__member=duplicate, kind=EntryKind.MERGE_OUT)
    assert out.points == -120
    moved_in = PointsEntry.objects.filter(account__member=survivor, kind=EntryKind.MERGE_IN)
    assert sum(entry.points for entry in moved_in) == 120


def test_moved_points_keep_their_expiry_dates(pair, store, staff):
    # given the duplicate's 100 points: 60 earned long ago, 40 recently, and 50 of them spent
    duplicate, survivor = pair
    buy(duplicate, store, "60.00", occurred_at=timezone.now() - datetime.timedelta(days=80))
    buy(duplicate, store, "40.00")
    with transaction.atomic():
        from points.services import points_spend

        points_spend(account_lock(duplicate.pk), points=50, kind=EntryKind.REDEMPTION)
    dated = dict(
        PointsEntry.objects.filter(account__member=duplicate, kind="earn").values_list(
            "points", "expires_at"
        )
    )
    # when merged
    merge(duplicate, survivor, staff)
    # then the 50 left arrive as the 40 newest with their date and 10 of the older ones
    lots = dict(
        PointsEntry.objects.filter(
            account__member=survivor, kind=EntryKind.MERGE_IN, is_qualifying=False
        )
        .filter(expires_at__gt=timezone.now())
        .values_list("points", "expires_at")
    )
    assert lots == {40: dated[40], 10: dated[60]}


def test_tier_qualifying_points_move_and_upgrade_the_survivor(pair, store, staff):
    # given tiers at 0 and 200 qualifying points, and 150 earned on each card
    TierFactory(rank=1, threshold=0)
    gold = TierFactory(rank=2, threshold=200)
    duplicate, survivor = pair
    buy(duplicate, store, "150.00")
    buy(survivor, store, "150.00")
    assert PointAccount.objects.get(member=survivor).tier != gold
    # when merged
    merge(duplicate, survivor, staff)
    # then the survivor counts 300 qualifying points and reached gold; the balance is 300
    account = PointAccount.objects.get(member=survivor)
    assert qualifying_points(account) == 300
    assert account.tier == gold
    assert account.balance == 300
    assert list(ledger_mismatches()) == []


def test_a_higher_tier_of_the_duplicate_is_kept_until_its_valid_until(pair, staff):
    # given a duplicate in gold (imported, no qualifying points) until next year
    TierFactory(rank=1, threshold=0)
    gold = TierFactory(rank=2, threshold=1000)
    duplicate, survivor = pair
    until = timezone.now() + datetime.timedelta(days=300)
    PointAccount.objects.filter(member=duplicate).update(tier=gold, tier_valid_until=until)
    # when merged
    merge(duplicate, survivor, staff)
    # then the survivor is gold until that date
    account = PointAccount.objects.get(member=survivor)
    assert (account.tier, account.tier_valid_until) == (gold, until)


def test_store_credit_moves_through_both_credit_ledgers(pair, staff):
    duplicate, survivor = pair
    with transaction.atomic():
        credit_append(credit_account_lock(duplicate.pk), kind="grant", amount=Decimal("7.50"))
    merge(duplicate, survivor, staff)
    assert StoreCreditAccount.objects.get(member=survivor).balance == Decimal("7.50")
    assert StoreCreditAccount.objects.get(member=duplicate).balance == Decimal("0.00")
    kinds = set(StoreCreditEntry.objects.values_list("kind", flat=True))
    assert {"merge_out", "merge_in"} <= kinds


def test_codes_purchases_activities_surveys_and_deliveries_move(pair, store, staff):
    duplicate, survivor = pair
    code = issue(duplicate, RewardFactory())
    buy(duplicate, store, "10.00", transaction_id="DUP-1")
    review = ActivityTypeFactory(code="review")
    Activity.objects.create(
        member=duplicate,
        activity_type=review,
        reference="r1",
        points=5,
        occurred_at=timezone.now(),
    )
    SurveyResponse.objects.create(member=duplicate, recommend_score=9)
    automation = AutomationFactory()
    Delivery.objects.create(automation=automation, member=duplicate, period_key="2026-11")
    # when merged
    result = merge(duplicate, survivor, staff)
    # then each belongs to the survivor
    assert IssuedReward.objects.get(pk=code.pk).member == survivor
    assert Purchase.objects.get(transaction_id="DUP-1").member == survivor
    assert Activity.objects.get(reference="r1").member == survivor
    assert SurveyResponse.objects.get().member == survivor
    assert Delivery.objects.get().member == survivor
    assert result.counts["codes"] == 1
    assert result.counts["purchases"] == 1


def test_rows_the_survivor_already_has_stay_with_the_duplicate(pair, staff):
    # given both have a delivery of one automation and period, and one activity reference
    duplicate, survivor = pair
    automation = AutomationFactory()
    Delivery.objects.create(automation=automation, member=duplicate, period_key="p")
    Delivery.objects.create(automation=automation, member=survivor, period_key="p")
    review = ActivityTypeFactory(code="review")
    for member in pair:
        Activity.objects.create(
            member=member,
            activity_type=review,
            reference="same",
            points=5,
            occurred_at=timezone.now(),
        )
    # when merged
    result = merge(duplicate, survivor, staff)
    # then the unique pairs hold: the duplicate's copies stay as its history
    assert Delivery.objects.filter(member=duplicate).count() == 1
    assert Activity.objects.filter(member=duplicate).count() == 1
    assert result.counts["deliveries_kept"] == 1
    assert result.counts["activities_kept"] == 1


def test_referrals_move_to_the_survivor(pair, staff):
    duplicate, survivor = pair
    code = member_referral_code_ensure(member=duplicate)
    friend = member_enrol(email="friend@example.com", referral_code=code)
    merge(duplicate, survivor, staff)
    assert Member.objects.get(pk=friend.pk).referred_by == survivor
    # and the duplicate's code brings the next friend in for the survivor
    later = member_enrol(email="later@example.com", referral_code=code)
    assert later.referred_by == survivor


def test_the_survivor_referred_by_the_duplicate_is_no_longer_its_own_referrer(staff):
    duplicate = MemberFactory()
    code = member_referral_code_ensure(member=duplicate)
    survivor = member_enrol(email="s@example.com", referral_code=code)
    merge(duplicate, survivor, staff)
    assert Member.objects.get(pk=survivor.pk).referred_by is None


def test_the_most_recent_consent_decision_per_channel_wins(pair, staff):
    # given the survivor gave e-mail consent, then the duplicate withdrew it later, and the
    # duplicate gave SMS consent the survivor never decided on
    duplicate, survivor = pair
    Member.objects.filter(pk__in=[m.pk for m in pair]).update(phone=None)
    Member.objects.filter(pk=duplicate.pk).update(phone="+31612345678")
    duplicate.refresh_from_db()
    member_consent_set(member=survivor, channel="email", is_granted=True, source="portal")
    member_consent_set(member=duplicate, channel="email", is_granted=True, source="portal")
    member_consent_set(member=duplicate, channel="email", is_granted=False, source="portal")
    member_consent_set(member=duplicate, channel="sms", is_granted=True, source="pos")
    # when merged
    merge(duplicate, survivor, staff)
    # then the survivor has no e-mail consent, SMS consent (and the phone), each recorded
    survivor = Member.objects.get(pk=survivor.pk)
    assert survivor.email_consent_at is None
    assert survivor.sms_consent_at is not None
    assert survivor.phone == "+31612345678"
    merged = ConsentChange.objects.filter(member=survivor, source="merge")
    assert sorted(merged.values_list("channel", "is_granted")) == [
        ("email", False),
        ("sms", True),
    ]
    # and the duplicate is messaged on no channel, recorded too
    duplicate = Member.objects.get(pk=duplicate.pk)
    assert (duplicate.sms_consent_at, duplicate.email_consent_at) == (None, None)
    assert ConsentChange.objects.filter(member=duplicate, source="merge").count() == 1


def test_the_duplicate_ends_merged_and_its_card_finds_the_survivor(pair, store, staff):
    duplicate, survivor = pair
    merge(duplicate, survivor, staff)
    duplicate = Member.objects.get(pk=duplicate.pk)
    assert duplicate.status == Member.Status.MERGED
    assert duplicate.merged_into == survivor
    assert duplicate.email is None
    alias = CardAlias.objects.get(number=duplicate.card_number)
    assert (alias.member, alias.reason) == (survivor, CardAlias.Reason.MERGED)
    assert member_get_by_card(duplicate.card_number) == survivor


def test_the_duplicates_account_refuses_later_changes(pair, staff):
    # given a till that looked the duplicate up just before the merge
    duplicate, survivor = pair
    merge(duplicate, survivor, staff)
    # when it changes the duplicate's points afterwards, it is refused: look the card up again
    with pytest.raises(MemberBlocked), transaction.atomic():
        account_lock(duplicate.pk)
    with pytest.raises(ApplicationError):
        points_adjust(member=duplicate, points=5, reason="late", actor=staff)


def test_one_audit_row_and_one_webhook_per_merge(pair, store, staff):
    from core.models import WebhookEndpoint
    from core.webhooks import endpoint_create

    endpoint_create(url="https://hooks.example.com/in", events=["member.merged"])
    duplicate, survivor = pair
    buy(duplicate, store, "20.00")
    merge(duplicate, survivor, staff)
    action = StaffAction.objects.get(action="merge_member")
    assert action.member == survivor
    assert action.staff_user == staff
    assert action.before["duplicate_card"] == duplicate.card_number
    assert action.after["points"] == 20
    from accounts.audit import staff_action_sentence

    assert duplicate.card_number in staff_action_sentence(action)
    assert WebhookEndpoint.objects.count() == 1
    from core.models import WebhookDelivery

    delivery = WebhookDelivery.objects.get(event="member.merged")
    assert delivery.payload["data"]["merged_card_number"] == duplicate.card_number
    assert OutboxJob.objects.exists()


def test_chains_follow_through(staff):
    # given A merged into B, then B into C
    a, b, c = MemberFactory(), MemberFactory(), MemberFactory()
    merge(a, b, staff)
    merge(b, c, staff)
    # then both old cards find C
    assert member_get_by_card(a.card_number) == c
    assert member_get_by_card(b.card_number) == c
    assert Member.objects.get(pk=a.pk).merged_into == c


@pytest.mark.parametrize("case", ["same", "duplicate_merged", "survivor_merged"])
def test_bad_pairs_are_refused_and_change_nothing(pair, staff, case):
    duplicate, survivor = pair
    other = MemberFactory()
    if case == "same":
        survivor = duplicate
        code = "same_member"
    else:
        merge(duplicate if case == "duplicate_merged" else survivor, other, staff)
        code = "already_merged"
    actions = StaffAction.objects.count()
    with pytest.raises(ApplicationError) as error:
        merge(Member.objects.get(pk=duplicate.pk), Member.objects.get(pk=survivor.pk), staff)
    assert error.value.code == code
    assert StaffAction.objects.count() == actions


def test_erased_members_and_blocked_survivors_are_refused(pair, staff):
    duplicate, survivor = pair
    member_set_status(member=survivor, status="blocked", reason="fraud?", actor=staff)
    with pytest.raises(ApplicationError) as error:
        merge(duplicate, Member.objects.get(pk=survivor.pk), staff)
    assert error.value.code == "member_blocked"
    with transaction.atomic():
        member_erase(member=duplicate, actor=staff, reason="asked")
    with pytest.raises(ApplicationError) as error:
        merge(Member.objects.get(pk=duplicate.pk), MemberFactory(), staff)
    assert error.value.code == "member_erased"


def test_a_blocked_duplicate_can_be_merged(pair, staff):
    duplicate, survivor = pair
    member_set_status(member=duplicate, status="blocked", reason="second card", actor=staff)
    merge(Member.objects.get(pk=duplicate.pk), survivor, staff)
    assert Member.objects.get(pk=duplicate.pk).status == Member.Status.MERGED


def test_a_reason_is_required(pair, staff):
    with pytest.raises(ApplicationError) as error:
        merge(*pair, staff, reason="  ")
    assert error.value.code == "reason_required"
    assert Member.objects.filter(status="merged").count() == 0


# The command


def test_the_command_merges_by_card_numbers(pair, store, staff, capsys):
    duplicate, survivor = pair
    buy(duplicate, store, "12.00")
    call_command(
        "merge_members",
        duplicate.card_number,
        survivor.card_number,
        reason="two cards",
        by=staff.username,
    )
    assert "12 points" in capsys.readouterr().out
    assert balance(survivor) == 12


@pytest.mark.parametrize(
    ("cards", "message"),
    [
        (("00000000000", None), "duplicate_card"),
        (("12345678903", None), "duplicate_card"),
        ((None, None), "same_member"),
    ],
)
def test_the_command_explains_bad_input(pair, staff, cards, message):
    from django.core.management.base import CommandError

    duplicate, survivor = pair
    first = cards[0] or duplicate.card_number
    second = cards[1] or duplicate.card_number
    with pytest.raises(CommandError) as error:
        call_command("merge_members", first, second, reason="x", by=staff.username)
    assert message in str(error.value).lower()


def test_the_command_refuses_a_card_merged_already(pair, staff):
    from django.core.management.base import CommandError

    duplicate, survivor = pair
    merge(duplicate, survivor, staff)
    with pytest.raises(CommandError, match="already_merged"):
        call_command(
            "merge_members",
            duplicate.card_number,
            MemberFactory().card_number,
            reason="x",
            by=staff.username,
        )


def test_the_nightly_tier_evaluation_leaves_the_merged_account_alone(pair, staff):
    from points.models import TierChange
    from points.services.tiers import tiers_evaluate_due

    # given a merged duplicate whose gold tier ran out yesterday
    TierFactory(rank=1, threshold=0)
    gold = TierFactory(rank=2, threshold=1000)
    duplicate, survivor = pair
    yesterday = timezone.now() - datetime.timedelta(days=1)
    PointAccount.objects.filter(member=duplicate).update(tier=gold, tier_valid_until=yesterday)
    merge(duplicate, survivor, staff)
    changes = TierChange.objects.filter(account__member=duplicate).count()
    # when the evaluation runs
    tiers_evaluate_due()
    # then the closed account is not moved (no tier change, no webhook for a merged member)
    assert TierChange.objects.filter(account__member=duplicate).count() == changes


def test_the_duplicates_loyalty_score_joins_the_survivors_and_fades_on_time(pair, staff):
    duplicate, survivor = pair
    now = timezone.now()
    long_ago = now - datetime.timedelta(days=400)  # outside the default 365-day window
    for member, score, when, key in (
        (duplicate, 30, now - datetime.timedelta(days=10), "d1"),
        (duplicate, 50, long_ago, "d2"),
        (survivor, 20, now - datetime.timedelta(days=5), "s1"),
    ):
        ScoreEntry.objects.create(
            member=member, source="purchase", score=score, source_key=key, occurred_at=when
        )

    merge(duplicate, survivor, staff)

    # the survivor counts the duplicate's recent score; the old one stays faded
    assert score_of(survivor.pk) == 50
    copied = ScoreEntry.objects.filter(member=survivor, source_key__startswith="merge:")
    assert sorted(copied.values_list("score", flat=True)) == [30, 50]
    assert copied.get(score=50).occurred_at == long_ago


def test_a_duplicate_with_pending_points_is_merged_once_they_are_released(pair, staff):
    from accounts.models import Store
    from core.errors import Conflict
    from points.models import LoyaltyProgram
    from tests.factories import StoreFactory

    program = LoyaltyProgram.current()
    program.return_window_days_online = 14
    program.save()
    web = StoreFactory(code="WEB", name="Webshop", channel=Store.Channel.ONLINE)
    duplicate, survivor = pair
    buy(duplicate, web, "50.00")

    with pytest.raises(Conflict) as refused:
        merge(duplicate, survivor, staff)

    assert refused.value.code == "points_pending"
    released_on = timezone.localdate() + datetime.timedelta(days=14)
    assert released_on.strftime("%d-%m-%Y") in str(refused.value.message)  # when to come back
    duplicate.refresh_from_db()
    assert duplicate.status != Member.Status.MERGED
    assert not PointsEntry.objects.filter(kind=EntryKind.MERGE_OUT).exists()
