"""Pending points (#18): earned inside a return window, shown but not spendable until released."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation

from accounts.models import Store
from points.models import EntryKind, LoyaltyProgram, PointAccount, PointsEntry
from points.selectors import member_summary_get, pending_points_text
from points.services import (
    PointsPending,
    RefundRequest,
    account_lock,
    points_release_due,
    points_spend,
    refund_record,
)
from rewards.models import IssuedReward
from tests.factories import RewardFactory, StoreFactory, TierFactory, UserFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def web():
    return StoreFactory(code="WEB", name="Webshop", channel=Store.Channel.ONLINE)


@pytest.fixture
def window():
    program = LoyaltyProgram.current()
    program.return_window_days_online = 14
    program.return_window_days_offline = 0
    program.save()
    return program


def account(member) -> PointAccount:
    return PointAccount.objects.get(member=member)


def summary_of(member):
    member.refresh_from_db()  # forgets the cached point account
    return member_summary_get(member=member)


def spend(member, points):
    with transaction.atomic():
        return points_spend(account_lock(member.pk), points=points, kind=EntryKind.REDEMPTION)


def refund(store, transaction_id, amount, refund_id="R1", **kwargs):
    return refund_record(
        request=RefundRequest(
            store=store,
            transaction_id=transaction_id,
            refund_id=refund_id,
            amount=Decimal(amount),
            **kwargs,
        )
    )


def test_online_points_are_pending_for_the_window_and_shop_points_spendable(
    window, web, store, member
):
    # when the member buys for 100.00 online and 30.00 in a shop (0-day window)
    online = buy(member, web, "100.00", transaction_id="W1")
    buy(member, store, "30.00", transaction_id="S1")
    # then the online points are pending until 14 days after the purchase, the shop's spendable
    assert (online.receipt.points_earned, online.receipt.points_pending) == (100, 100)
    assert online.receipt.pending_until == online.purchase.occurred_at + 14 * DAY
    assert online.receipt.points_balance == 0
    assert (account(member).balance, account(member).pending_balance) == (30, 100)
    summary = summary_of(member)
    assert summary.points_balance == 30
    assert [(item.points, item.release_at) for item in summary.points_pending] == [
        (100, online.purchase.occurred_at + 14 * DAY)
    ]
    call_command("check_ledger")


def test_a_zero_day_window_earns_exactly_as_before(store, member):
    # given the default programme (no return windows)
    # when a purchase is recorded
    outcome = buy(member, store, "25.00")
    # then the points are spendable at once, in one plain EARN entry
    entry = PointsEntry.objects.get()
    assert (entry.kind, entry.points, entry.pending_points, entry.pending_until) == (
        "earn",
        25,
        0,
        None,
    )
    assert outcome.receipt.points_balance == 25
    assert outcome.receipt.points_pending == 0
    assert account(member).pending_balance == 0


def test_a_late_till_whose_window_already_ended_earns_spendable_points(window, web, member):
    buy(member, web, "40.00", occurred_at=timezone.now() - 20 * DAY)
    assert (account(member).balance, account(member).pending_balance) == (40, 0)


def test_redeeming_pending_points_is_refused_with_a_clear_error(window, web, store, member):
    # given 10 spendable points and 100 pending ones
    buy(member, store, "10.00")
    buy(member, web, "100.00")
    # when 50 points are spent
    with translation.override("en"), pytest.raises(PointsPending) as refused:
        spend(member, 50)
    # then the refusal says the points are pending, and nothing changed
    assert refused.value.code == "points_pending"
    assert "100 more points are pending" in refused.value.message
    assert refused.value.extra == {
        "points_balance": 10,
        "points_needed": 50,
        "points_pending": 100,
    }
    assert (account(member).balance, account(member).pending_balance) == (10, 100)


def test_the_redemption_api_refuses_pending_points(window, web, pos, member):
    buy(member, web, "100.00")
    reward = RewardFactory(points_cost=50)
    response = pos.post(
        f"/api/v1/members/{member.card_number}/redemptions/",
        {"reward_id": reward.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["points_balance"], body["points_pending"]) == (
        "points_pending",
        0,
        100,
    )
    assert not IssuedReward.objects.exists()


def test_pending_points_are_released_when_the_window_ends_and_not_before(window, web, member):
    # given 100 points pending from a purchase
    outcome = buy(member, web, "100.00")
    release_at = outcome.receipt.pending_until
    # when the job runs a minute before the end of the window
    early = points_release_due(now=release_at - datetime.timedelta(minutes=1))
    # then nothing is released
    assert (early.accounts, early.points) == (0, 0)
    assert account(member).balance == 0
    # when it runs at the end of the window, and again
    run = points_release_due(now=release_at)
    again = points_release_due(now=release_at + DAY)
    # then the points are spendable once, and expire as of the purchase
    assert (run.accounts, run.points, again.points) == (1, 100, 0)
    assert (account(member).balance, account(member).pending_balance) == (100, 0)
    release = PointsEntry.objects.get(kind=EntryKind.RELEASE)
    assert (release.points, release.pending_points) == (100, -100)
    assert release.corrects.kind == EntryKind.EARN
    assert release.effective_at == outcome.purchase.occurred_at
    assert summary_of(member).points_pending == ()
    spend(member, 100)
    call_command("check_ledger")


def test_the_release_command_releases_due_points(window, web, member, monkeypatch):
    outcome = buy(member, web, "20.00")
    later = outcome.receipt.pending_until + DAY
    monkeypatch.setattr(timezone, "now", lambda: later)
    call_command("release_pending_points")
    assert account(member).balance == 20


def test_a_timely_refund_cancels_pending_points_instead_of_reversing(window, web, store, member):
    # given 10 spendable points and 100 pending from an online purchase
    buy(member, store, "10.00")
    outcome = buy(member, web, "100.00", transaction_id="W1")
    # when 40.00 and then the rest is refunded inside the window
    first = refund(web, "W1", "40.00", refund_id="R1")
    second = refund(web, "W1", "60.00", refund_id="R2")
    # then the pending points are cancelled; the spendable balance never moved
    assert (first.receipt.points_reversed, first.receipt.points_balance) == (40, 10)
    assert (second.receipt.points_reversed, second.receipt.points_balance) == (60, 10)
    assert (account(member).balance, account(member).pending_balance) == (10, 0)
    assert not PointsEntry.objects.filter(kind=EntryKind.REFUND_REVERSAL).exists()
    assert account(member).flagged_at is None
    # and the release job later has nothing to release
    run = points_release_due(now=outcome.receipt.pending_until + DAY)
    assert run.points == 0
    assert account(member).balance == 10
    call_command("check_ledger")


def test_a_partial_refund_in_time_releases_only_the_rest(window, web, member):
    outcome = buy(member, web, "100.00", transaction_id="W1")
    refund(web, "W1", "25.00")
    run = points_release_due(now=outcome.receipt.pending_until)
    assert run.points == 75
    assert (account(member).balance, account(member).pending_balance) == (75, 0)
    call_command("check_ledger")


def test_a_refund_after_the_release_reverses_spendable_points(window, web, member):
    outcome = buy(member, web, "100.00", transaction_id="W1")
    points_release_due(now=outcome.receipt.pending_until)
    refunded = refund(web, "W1", "100.00")
    assert (refunded.receipt.points_reversed, refunded.receipt.points_balance) == (100, 0)
    assert PointsEntry.objects.filter(kind=EntryKind.REFUND_REVERSAL).count() == 1
    assert (account(member).balance, account(member).pending_balance) == (0, 0)
    call_command("check_ledger")


@pytest.mark.parametrize(("count_pending", "before", "after"), [(True, 600, 600), (False, 0, 600)])
def test_tiers_count_pending_points_as_the_programme_chooses(
    window, web, member, count_pending, before, after
):
    # given silver at 500 and a programme that counts pending points or not
    TierFactory(rank=1, threshold=0)
    silver = TierFactory(rank=2, threshold=500)
    window.tiers_count_pending_points = count_pending
    window.save()
    # when the member earns 600 pending points
    outcome = buy(member, web, "600.00")
    # then they count at once, or only once released
    summary = summary_of(member)
    assert summary.tier.qualifying_points == before
    assert (account(member).tier == silver) is count_pending
    points_release_due(now=outcome.receipt.pending_until)
    assert summary_of(member).tier.qualifying_points == after
    assert account(member).tier == silver


def test_a_cancelled_purchase_stops_counting_for_tiers_when_pending_counts(window, web, member):
    window.tiers_count_pending_points = True
    window.save()
    buy(member, web, "600.00", transaction_id="W1")
    refund(web, "W1", "600.00")
    assert summary_of(member).tier.qualifying_points == 0


def test_check_ledger_catches_a_pending_balance_that_drifted(window, web, member):
    buy(member, web, "10.00")
    PointAccount.objects.filter(member=member).update(pending_balance=7)
    with pytest.raises(Exception, match="mismatch"):
        call_command("check_ledger")


def test_the_member_summary_api_lists_pending_points_in_the_members_language(
    window, web, pos, member
):
    member.language = "en"
    member.save()
    outcome = buy(member, web, "49.00", transaction_id="W1")
    body = pos.get(f"/api/v1/members/{member.card_number}/").json()
    assert body["points_balance"] == 0
    assert body["points_pending_total"] == 49
    assert [(item["points"], item["transaction_id"]) for item in body["points_pending"]] == [
        (49, "W1")
    ]
    assert body["points_pending"][0]["release_at"]
    assert body["points_pending_text"].startswith("49 points are pending")
    # and the ledger shows them as pending
    ledger = pos.get(f"/api/v1/members/{member.card_number}/ledger/").json()["results"]
    assert (ledger[0]["points"], ledger[0]["pending_points"]) == (0, 49)
    assert ledger[0]["pending_until"]
    assert outcome.receipt.points_pending == 49


def test_the_pending_text_is_dutch_for_dutch_members(window, web, member):
    buy(member, web, "49.00")
    with translation.override("nl"):
        text = pending_points_text(summary_of(member).points_pending)
    assert text.startswith("49 punten")


def test_the_purchase_api_answers_the_pending_points(window, web, member):
    from tests.helpers import pos_client_for, purchase_body

    response = pos_client_for(web).post(
        "/api/v1/purchases/", purchase_body(member.card_number, amount="24.95"), format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["points_earned"], body["points_pending"], body["points_balance"]) == (24, 24, 0)
    assert body["pending_until"]


def test_staff_adjustment_ignores_pending_points(window, web, member):
    # a correction below zero is refused even when pending points would cover it
    from points.services import InsufficientPoints, points_adjust

    buy(member, web, "100.00")
    with pytest.raises(InsufficientPoints):
        points_adjust(member=member, points=-10, reason="test", actor=UserFactory())
