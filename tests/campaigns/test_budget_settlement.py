"""A code's budget cost is a reservation, settled to the real discount when the code is used and
given back when it expires unused or is revoked (#19)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import BudgetSpend
from campaigns.models.budgets import Budget
from campaigns.selectors import budget_state, local_today
from campaigns.services import automation_run
from points.services import RefundRequest, refund_record
from rewards.models import IssuedReward
from rewards.services import code_revoke, codes_expire_due
from tests.factories import AutomationFactory, RewardFactory, UserFactory
from tests.helpers import buy

from .helpers import bought_days_ago

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def percentage_offer(member, store, django_capture_on_commit_callbacks):
    """A 10 % code from an automation with € 100 in all and € 50 a day; the member's only
    purchase (the programme's usual basket) is € 20, so each code reserves € 2."""
    bought_days_ago(member, store, 75)
    offer = AutomationFactory(
        trigger="dormant",
        days=60,
        bonus_points=0,
        reward=RewardFactory(points_cost=0, value=Decimal("10.00")),
        budget_total=Decimal("100.00"),
        budget_per_day=Decimal("50.00"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(offer)
    return offer


def _spent(offer) -> dict[str, Decimal]:
    return dict(
        BudgetSpend.objects.filter(owner=Budget.of(offer).owner).values_list("period", "spent")
    )


def test_issuing_a_percentage_code_reserves_its_cost_at_the_usual_basket_and_records_it(
    percentage_offer,
):
    code = IssuedReward.objects.get()
    today = local_today(timezone.now()).isoformat()
    assert (code.budget_owner, code.budget_periods, code.budget_cost) == (
        f"automation:{percentage_offer.pk}",
        f"total {today}",
        Decimal("2.00"),
    )
    assert _spent(percentage_offer) == {"total": Decimal("2.00"), today: Decimal("2.00")}


def test_using_the_code_settles_the_budget_to_the_real_discount(member, store, percentage_offer):
    code = IssuedReward.objects.get()
    today = local_today(timezone.now()).isoformat()

    # when the member uses it on € 80
    outcome = buy(member, store, "80.00", codes=(code.code,))

    # then the budget counts the € 8 really given, not the € 2 reserved
    assert outcome.receipt.discount_total == Decimal("8.00")
    assert _spent(percentage_offer) == {"total": Decimal("8.00"), today: Decimal("8.00")}
    code.refresh_from_db()
    assert code.budget_cost == Decimal("8.00")


def test_a_code_used_on_a_smaller_basket_gives_the_difference_back(member, store, percentage_offer):
    code = IssuedReward.objects.get()
    buy(member, store, "12.50", codes=(code.code,))
    assert budget_state(Budget.of(percentage_offer)).spent_total == Decimal("1.25")


def test_a_replayed_checkout_settles_the_budget_once(member, store, percentage_offer):
    code = IssuedReward.objects.get()
    buy(member, store, "80.00", codes=(code.code,), transaction_id="T-REPLAY")

    # when the till sends the same purchase again
    replay = buy(member, store, "80.00", codes=(code.code,), transaction_id="T-REPLAY")

    # then it is answered as before and the budget is not settled again
    assert replay.replayed
    assert replay.receipt.discount_total == Decimal("8.00")
    assert budget_state(Budget.of(percentage_offer)).spent_total == Decimal("8.00")


def test_the_redemption_is_never_refused_when_the_real_discount_passes_the_budget(
    member, store, percentage_offer
):
    # given a budget of € 5 in all, € 2 of it reserved by the code
    percentage_offer.budget_total = Decimal("5.00")
    percentage_offer.save()
    code = IssuedReward.objects.get()

    # when the code gives € 30 on a € 300 basket
    outcome = buy(member, store, "300.00", codes=(code.code,))

    # then the discount is given (the code was promised) and the budget shows what it cost
    assert outcome.receipt.discount_total == Decimal("30.00")
    state = budget_state(Budget.of(percentage_offer))
    assert (state.spent_total, state.left) == (Decimal("30.00"), Decimal("0.00"))


def test_a_code_that_expires_unused_gives_its_reservation_back(percentage_offer):
    code = IssuedReward.objects.get()

    expired = codes_expire_due(now=code.expires_at + DAY)

    assert expired == 1
    assert set(_spent(percentage_offer).values()) == {Decimal("0.00")}
    code.refresh_from_db()
    assert (code.status, code.budget_cost) == (IssuedReward.Status.EXPIRED, Decimal("0.00"))


def test_a_revoked_code_gives_its_reservation_back(percentage_offer):
    code = IssuedReward.objects.get()

    code_revoke(issued=code, actor=UserFactory(), reason="Sent by mistake")

    assert set(_spent(percentage_offer).values()) == {Decimal("0.00")}


def test_the_settlement_changes_the_day_the_code_was_issued_not_today(
    member, store, percentage_offer
):
    # given the code was issued (and its € 2 reserved) on an earlier day
    code = IssuedReward.objects.get()
    BudgetSpend.objects.filter(period=local_today(timezone.now()).isoformat()).update(
        period="2026-01-02"
    )
    IssuedReward.objects.filter(pk=code.pk).update(budget_periods="total 2026-01-02")

    buy(member, store, "80.00", codes=(code.code,))

    assert _spent(percentage_offer) == {"total": Decimal("8.00"), "2026-01-02": Decimal("8.00")}


def test_a_code_restored_by_a_full_refund_keeps_its_last_cost_until_it_expires(
    member, store, percentage_offer
):
    code = IssuedReward.objects.get()
    outcome = buy(member, store, "80.00", codes=(code.code,))

    # when the purchase is refunded in full, the code is the member's again
    refund_record(
        request=RefundRequest(
            store=store,
            transaction_id=outcome.purchase.transaction_id,
            refund_id="R1",
            amount=outcome.purchase.net_amount,
        )
    )
    code.refresh_from_db()
    assert code.status == IssuedReward.Status.ISSUED

    # then the budget keeps its last real cost as the reservation, and gives it back on expiry
    assert budget_state(Budget.of(percentage_offer)).spent_total == Decimal("8.00")
    codes_expire_due(now=code.expires_at + DAY)
    assert budget_state(Budget.of(percentage_offer)).spent_total == Decimal("0.00")


def test_codes_no_budget_paid_for_leave_budgets_alone(
    member, store, django_capture_on_commit_callbacks
):
    bought_days_ago(member, store, 75)
    offer = AutomationFactory(
        trigger="dormant", days=60, bonus_points=0, reward=RewardFactory(points_cost=0)
    )
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(offer)
    code = IssuedReward.objects.get()

    buy(member, store, "80.00", codes=(code.code,))

    code.refresh_from_db()
    assert (code.budget_owner, code.budget_cost) == ("", Decimal("0.00"))
    assert not BudgetSpend.objects.exists()


def test_settling_a_code_twice_to_the_same_discount_moves_the_budget_once(percentage_offer):
    from rewards.budgets import codes_budget_settle

    code = IssuedReward.objects.get()

    first = codes_budget_settle([(code.pk, Decimal("8.00"))])
    second = codes_budget_settle([(code.pk, Decimal("8.00"))])

    assert [change.amount for change in first] == [Decimal("6.00")]
    assert second == []
    assert budget_state(Budget.of(percentage_offer)).spent_total == Decimal("8.00")
