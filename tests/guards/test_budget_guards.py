"""Euro budgets under parallel grants, on real PostgreSQL connections: never overspent."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from campaigns.models import BonusCampaign, BudgetSpend, Delivery
from campaigns.models.budgets import Budget
from campaigns.selectors import local_today
from campaigns.services import deliveries_fulfil
from campaigns.services.budgets import budget_take
from rewards.budgets import codes_budget_settle
from rewards.models import IssuedReward
from tests.concurrency import run_in_parallel
from tests.factories import (
    AutomationFactory,
    MemberFactory,
    RewardFactory,
    StoreFactory,
)
from tests.helpers import buy
from tests.markers import postgres_only

race = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _take(budget: Budget) -> int:
    with transaction.atomic(durable=True):
        return budget_take(budget, unit_cost=Decimal("5.00"), wanted=1)


@postgres_only
@race
def test_parallel_grants_never_pass_the_budget():
    # given € 15 a day and in all, € 5 a grant
    offer = AutomationFactory(budget_per_day=Decimal("15.00"), budget_total=Decimal("15.00"))
    budget = Budget.of(offer)
    # when 8 grants race (the rows do not exist yet: they are created in the race)
    results = run_in_parallel(lambda _index: _take(budget), 8)
    # then exactly 3 fit, and both rows hold exactly the budget
    assert sorted(results) == [0] * 5 + [1] * 3
    assert sorted(BudgetSpend.objects.values_list("spent", flat=True)) == [Decimal("15.00")] * 2


@postgres_only
@race
def test_parallel_fulfilments_of_one_automation_stay_within_its_budget():
    # given 8 welcome deliveries, each fulfilled by its own job, and money for 3 codes of € 5
    offer = AutomationFactory(trigger="welcome", channel="none", budget_total=Decimal("15.00"))
    deliveries = [
        Delivery.objects.create(automation=offer, member=MemberFactory(), period_key="once")
        for _ in range(8)
    ]
    # when they run at once
    results = run_in_parallel(
        lambda index: deliveries_fulfil([deliveries[index].pk], queue_sends=False), 8
    )
    # then 3 members get a code and 5 are skipped because the budget is spent
    assert not [result for result in results if isinstance(result, Exception)]
    assert IssuedReward.objects.count() == 3
    assert Delivery.objects.filter(skip_reason="budget_spent").count() == 5
    assert BudgetSpend.objects.get(period="total").spent == Decimal("15.00")


@postgres_only
@race
def test_parallel_purchases_never_spend_more_of_a_bonus_campaign_than_its_budget():
    # given 100 bonus points (€ 1) per purchase and € 3 in all
    store = StoreFactory()
    now = timezone.now()
    BonusCampaign.objects.create(
        name_nl="Bonus",
        name_en="Bonus",
        kind="fixed_bonus",
        bonus_points=100,
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=1),
        budget_total=Decimal("3.00"),
    )
    members = [MemberFactory() for _ in range(8)]
    # when 8 members buy at once
    outcomes = run_in_parallel(lambda index: buy(members[index], store, "10.00"), 8)
    # then exactly 3 purchases carry the campaign's points
    campaign_points = [
        sum(line.points for line in outcome.receipt.explanation if line.source == "campaign")
        for outcome in outcomes
    ]
    assert sorted(campaign_points) == [0] * 5 + [100] * 3
    assert BudgetSpend.objects.get(period="total").spent == Decimal("3.00")


@pytest.mark.django_db
def test_the_database_refuses_a_second_budget_row_for_one_period():
    BudgetSpend.objects.create(owner="automation:1", period="2026-11-30")
    BudgetSpend.objects.create(owner="automation:1", period="total")
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetSpend.objects.create(owner="automation:1", period="2026-11-30", spent="1.00")


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _until(condition, *, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _in_thread(work, results: dict, name: str) -> threading.Thread:
    def target() -> None:
        try:
            with transaction.atomic(durable=True):
                results[name] = work()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[name] = error
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread


@postgres_only
@race
def test_settling_a_code_locks_its_budget_rows_in_the_grants_order_so_they_never_deadlock():
    # given an automation whose day's row is older than its total (the daily budget came
    # first), so the rows' own order puts the day first; and a code that reserved € 2 in both
    offer = AutomationFactory(budget_total=Decimal("100.00"), budget_per_day=Decimal("100.00"))
    budget = Budget.of(offer)
    day = local_today(timezone.now()).isoformat()
    BudgetSpend.objects.create(owner=budget.owner, period=day, spent=Decimal("2.00"))
    BudgetSpend.objects.create(owner=budget.owner, period="total", spent=Decimal("2.00"))
    code = IssuedReward.objects.create(
        reward=offer.reward,
        member=MemberFactory(),
        code="SETTLE01",
        source="campaign",
        value=Decimal("10.00"),
        expires_at=timezone.now() + datetime.timedelta(days=30),
        budget_owner=budget.owner,
        budget_periods=f"total {day}",
        budget_cost=Decimal("2.00"),
    )
    # and another transaction holding the total for a moment
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM campaigns_budgetspend WHERE period = 'total' FOR UPDATE",
        )
    results: dict = {}
    try:
        # when a grant of € 5 waits for the total, then the code is used for € 8
        grant = _in_thread(
            lambda: budget_take(budget, unit_cost=Decimal("5.00"), wanted=1), results, "grant"
        )
        _until(lambda: _waiting_on_locks() == 1)

        def settle():
            IssuedReward.objects.select_for_update().get(pk=code.pk)
            return codes_budget_settle([(code.pk, Decimal("8.00"))])

        settling = _in_thread(settle, results, "settle")
        _until(lambda: _waiting_on_locks() == 2)
    finally:
        holder.rollback()
        holder.close()
    grant.join(timeout=30)
    settling.join(timeout=30)

    # then neither deadlocked: the grant and the settlement (+ € 6) are both counted
    assert results["grant"] == 1, results
    assert not isinstance(results["settle"], Exception), results
    assert dict(BudgetSpend.objects.values_list("period", "spent")) == {
        "total": Decimal("13.00"),
        day: Decimal("13.00"),
    }


@postgres_only
@race
def test_one_purchase_sent_twice_at_once_settles_its_code_once():
    # given a 10 % code from an automation with a budget, reserved at a € 20 usual basket
    store = StoreFactory()
    member = MemberFactory()
    offer = AutomationFactory(
        trigger="welcome",
        channel="none",
        bonus_points=0,
        reward=RewardFactory(points_cost=0, value=Decimal("10.00")),
        budget_total=Decimal("100.00"),
    )
    buy(member, store, "20.00")
    delivery = Delivery.objects.create(automation=offer, member=member, period_key="once")
    deliveries_fulfil([delivery.pk], queue_sends=False)
    code = IssuedReward.objects.get()
    assert BudgetSpend.objects.get(period="total").spent == Decimal("2.00")

    # when the till sends the same € 80 purchase twice at once
    outcomes = run_in_parallel(
        lambda _index: buy(member, store, "80.00", codes=(code.code,), transaction_id="T-TWICE"),
        2,
    )

    # then one records it, the other replays it, and the budget counts the € 8 once
    assert sorted(outcome.replayed for outcome in outcomes) == [False, True], outcomes
    assert BudgetSpend.objects.get(period="total").spent == Decimal("8.00")


@postgres_only
@race
def test_a_code_used_while_it_is_revoked_leaves_the_budget_matching_what_happened(monkeypatch):
    # given a 10 % code that reserved € 2 (a € 20 usual basket), and a checkout that holds the
    # code a moment after settling its budget
    from rewards.services import checkout as checkout_module
    from rewards.services import code_revoke_unused

    store = StoreFactory()
    member = MemberFactory()
    offer = AutomationFactory(
        trigger="welcome",
        channel="none",
        bonus_points=0,
        reward=RewardFactory(points_cost=0, value=Decimal("10.00")),
        budget_total=Decimal("100.00"),
    )
    buy(member, store, "20.00")
    delivery = Delivery.objects.create(automation=offer, member=member, period_key="once")
    deliveries_fulfil([delivery.pk], queue_sends=False)
    code = IssuedReward.objects.get()
    settle = checkout_module.codes_budget_settle

    def slow_settle(targets):
        changes = settle(targets)
        time.sleep(0.3)
        return changes

    monkeypatch.setattr(checkout_module, "codes_budget_settle", slow_settle)

    # when the member uses it on € 80 while the system revokes it a moment later (as after a
    # refund: no point account lock, only the code's)
    def work(index):
        if index == 0:
            return buy(member, store, "80.00", codes=(code.code,))
        time.sleep(0.1)
        with transaction.atomic(durable=True):
            return code_revoke_unused(issued_id=code.pk, reason="Race")

    results = run_in_parallel(work, 2)

    # then one of them happened, and the code and the budget say which: € 8 used, or € 0 revoked
    code.refresh_from_db()
    spent = BudgetSpend.objects.get(period="total").spent
    purchase, revoked = results
    if isinstance(purchase, Exception):
        assert (revoked, code.status, spent) == (True, "revoked", Decimal("0.00")), results
    else:
        assert purchase.receipt.discount_total == Decimal("8.00")
        assert (revoked, code.status, spent) == (False, "used", Decimal("8.00")), results
