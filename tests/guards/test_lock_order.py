"""The global lock order (docs/architecture.md, "Lock order") on real PostgreSQL connections."""

import time

import pytest
from django.db import OperationalError

from campaigns.models import Delivery
from campaigns.services import deliveries_fulfil
from core.errors import ApplicationError
from points.models import PointAccount
from points.services import points_adjust
from rewards.models import IssuedReward, Reward
from rewards.services import redemption
from tests.concurrency import run_in_parallel
from tests.factories import AutomationFactory, MemberFactory, RewardFactory, UserFactory
from tests.markers import postgres_only

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
