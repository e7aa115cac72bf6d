"""Guards of automations and surveys: each row lock raced on PostgreSQL, each constraint hit past
the services (docs/architecture.md, "Guards and the tests that defend them"). The locks of
sending and resending deliveries are defended with the outbox work (#11)."""

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import Delivery, SatisfactionResponse, SurveyResponse
from campaigns.services import deliveries as deliveries_module
from campaigns.services import deliveries_fulfil, satisfaction_answer, survey_answer
from campaigns.services import surveys as surveys_module
from core.errors import Conflict
from points.models import Purchase
from rewards.models import IssuedReward, Reward
from tests.factories import AutomationFactory, MemberFactory, RewardFactory, StoreFactory
from tests.helpers import buy
from tests.markers import postgres_only

from .interleave import Interleave

race = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# Row locks


@postgres_only
@race
def test_fulfilment_locks_the_stock_it_takes(monkeypatch):
    # given two automations giving codes of one reward with 3 left, 3 members each, the first
    # fulfilment stopping after it read the stock
    reward = RewardFactory(fixed=True, points_cost=0, stock=3)
    batches = []
    for _ in range(2):
        automation = AutomationFactory(reward=reward, channel="none")
        batches.append(
            [
                Delivery.objects.create(
                    automation=automation, member=MemberFactory(), period_key="p"
                ).pk
                for _ in range(3)
            ]
        )
    interleave = Interleave()
    monkeypatch.setattr(deliveries_module, "F", interleave.pause_before(deliveries_module.F))
    # when both fulfil at once
    results = interleave.run(
        lambda: deliveries_fulfil(batches[0]), lambda: deliveries_fulfil(batches[1])
    )
    # then the stock went once: 3 codes, 3 deliveries out of stock, nothing failed
    assert not [result for result in results if isinstance(result, Exception)], results
    assert IssuedReward.objects.filter(reward=reward).count() == 3
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert Delivery.objects.filter(skip_reason=Delivery.SkipReason.OUT_OF_STOCK).count() == 3


@postgres_only
@race
def test_a_survey_answer_locks_the_member(monkeypatch):
    # given an answer that stops after it found the member may answer
    member = MemberFactory()
    buy(member, StoreFactory(), "10.00")  # the survey is for members who bought something
    interleave = Interleave()
    monkeypatch.setattr(
        surveys_module, "survey_next_due", interleave.pause_after(surveys_module.survey_next_due)
    )

    def answer():
        return survey_answer(member=member, recommend_score=9)

    # when the member sends the survey twice at once
    first, second = interleave.run(answer, answer)
    # then one answer counts (and earns the survey's points once)
    assert isinstance(first, SurveyResponse)
    assert isinstance(second, Conflict)
    assert SurveyResponse.objects.filter(member=member).count() == 1


@postgres_only
@race
def test_a_satisfaction_answer_locks_the_member(monkeypatch):
    # given two recent purchases, and answers that stop after they found the member may answer
    member, store = MemberFactory(), StoreFactory()
    buy(member, store, "10.00")
    buy(member, store, "12.00")
    first_purchase, second_purchase = Purchase.objects.filter(member=member).order_by("pk")
    interleave = Interleave()
    monkeypatch.setattr(
        surveys_module,
        "satisfaction_next_due",
        interleave.pause_after(surveys_module.satisfaction_next_due),
    )
    # when the member answers about both at once (two tabs)
    results = interleave.run(
        lambda: satisfaction_answer(member=member, purchase_id=first_purchase.pk, score=9),
        lambda: satisfaction_answer(member=member, purchase_id=second_purchase.pk, score=3),
    )
    # then one answer counts: one per member per period
    assert sorted(type(result).__name__ for result in results) == [
        "Conflict",
        "SatisfactionResponse",
    ]
    assert SatisfactionResponse.objects.filter(member=member).count() == 1


# Constraints


@pytest.mark.django_db
def test_the_database_refuses_a_second_delivery_in_one_period(member):
    automation = AutomationFactory()
    Delivery.objects.create(automation=automation, member=member, period_key="2026-11")
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(automation=automation, member=member, period_key="2026-11")
    assert Delivery.objects.count() == 1
