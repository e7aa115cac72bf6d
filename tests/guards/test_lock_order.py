"""The global lock order (docs/architecture.md, "Lock order") on real PostgreSQL connections."""

import datetime
import time
from decimal import Decimal

import pytest
from django.db import OperationalError
from django.utils import timezone

from campaigns.models import Delivery
from campaigns.services import deliveries_fulfil, deliveries_unwind_for_purchase
from campaigns.services import unwinding as unwinding_module
from core import outbox
from core.errors import ApplicationError
from points.models import PointAccount
from points.services import RefundRequest, points_adjust, refund_record
from rewards.models import IssuedReward, Reward
from rewards.services import redemption
from tests.concurrency import run_in_parallel
from tests.factories import (
    AutomationFactory,
    MemberFactory,
    RewardFactory,
    StoreFactory,
    UserFactory,
)
from tests.helpers import buy
from tests.markers import postgres_only

from .interleave import Interleave

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROUNDS = 15


def test_fulfilment_and_redemption_of_one_limited_reward_never_deadlock(monkeypatch):
    # given a redemption that holds the member's point account a moment before it takes stock
    spend = redemption.points_spend

    def slow_spend(*args, **kwargs):
        time.sleep(0.05)
        return spend(*args, **kwargs)

    monkeypatch.setattr(redemption, "points_spend", slow_spend)
    actor = UserFactory()
    for round_index in range(ROUNDS):
        # and an automation giving bonus points and a code of a reward with 3 left in stock
        reward = RewardFactory(points_cost=100, fixed=True, stock=3)
        automation = AutomationFactory(reward=reward, bonus_points=10, channel="none")
        members = [MemberFactory() for _ in range(4)]
        for member in members:
            points_adjust(member=member, points=100, reason="setup", actor=actor)
        deliveries = [
            Delivery.objects.create(automation=automation, member=member, period_key="p")
            for member in members
        ]

        # when the automation fulfils all four while two of them redeem the same reward
        def work(index, members=members, deliveries=deliveries, reward=reward, n=round_index):
            if index == 0:
                return deliveries_fulfil([delivery.pk for delivery in deliveries])
            return redemption.reward_redeem(
                store=None,
                member=members[index - 1],
                reward_id=reward.pk,
                idempotency_key=f"round-{n}-{index}",
            )

        results = run_in_parallel(work, 3)

        # then nobody deadlocked, and the stock was never oversold
        assert not [r for r in results if isinstance(r, OperationalError)], results
        unexpected = [
            r for r in results if isinstance(r, Exception) and not isinstance(r, ApplicationError)
        ]
        assert not unexpected, unexpected
        issued = IssuedReward.objects.filter(reward=reward).count()
        assert issued == 3
        assert Reward.objects.get(pk=reward.pk).stock == 0
        # and each delivery that got a code credited its bonus once
        coded = Delivery.objects.filter(automation=automation, issued_reward__isnull=False)
        assert coded.filter(bonus_entry__isnull=False).count() == coded.count()
        redeemed = sum(1 for r in results[1:] if not isinstance(r, Exception))
        assert coded.count() + redeemed == 3
        balances = PointAccount.objects.filter(member__in=members).values_list("balance", flat=True)
        assert sum(balances) == 400 + 10 * coded.count() - 100 * redeemed


@pytest.mark.parametrize("then", ["purchase", "refund"])
def test_a_purchase_or_refund_in_an_offer_window_never_deadlocks_with_unwinding(monkeypatch, then):
    # given a first-purchase bonus given and converted (its offer window open), whose purchase
    # is then refunded in full, and a second purchase inside that window
    AutomationFactory(trigger="first_purchase", days=None, reward=None, bonus_points=25)
    monkeypatch.setattr(outbox, "publish", lambda job_ids: 0)  # the test runs the jobs
    member, store = MemberFactory(), StoreFactory()
    first = buy(member, store, "10.00", transaction_id="T1")
    delivery = Delivery.objects.get()
    deliveries_fulfil([delivery.pk], queue_sends=False)
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT,
        converted_at=now - datetime.timedelta(minutes=1),
        offer_expires_at=now + datetime.timedelta(days=7),
    )
    buy(member, store, "40.00", transaction_id="T2")
    refund_record(
        request=RefundRequest(
            store=store, transaction_id="T1", refund_id="R1", amount=Decimal("10.00")
        )
    )
    # and the unwinding of the first purchase stopped while it holds the delivery
    interleave = Interleave()
    monkeypatch.setattr(
        unwinding_module, "_unwind", interleave.pause_before(unwinding_module._unwind)
    )
    if then == "purchase":
        second, window_revenue = (lambda: buy(member, store, "5.00", transaction_id="T3")), 45
    else:
        second, window_revenue = (
            lambda: refund_record(
                request=RefundRequest(
                    store=store, transaction_id="T2", refund_id="R2", amount=Decimal("15.00")
                )
            ),
            25,
        )
    # when the member buys (or refunds) meanwhile: it changes the delivery's window revenue
    unwound, recorded = interleave.run(
        lambda: deliveries_unwind_for_purchase(first.purchase.pk), second
    )
    # then neither was aborted as a deadlock: the bonus is taken back, the change recorded
    assert unwound == {"reversed": 1}, unwound
    assert not isinstance(recorded, Exception), recorded
    delivery.refresh_from_db()
    assert delivery.window_revenue == Decimal(window_revenue)
    assert delivery.unwound == Delivery.Unwound.REVERSED
