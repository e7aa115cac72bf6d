"""Two counts of one bonus campaign's audience at once (PostgreSQL, separate connections)."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import BonusAudience, BonusCampaign
from campaigns.services import bonus_audience_count
from tests.concurrency import run_in_parallel
from tests.factories import MemberFactory
from tests.markers import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_counts_at_once_store_one_audience_and_agree():
    # given a started campaign with a holdout and 50 members
    now = timezone.now()
    offer = BonusCampaign.objects.create(
        name_nl="Dubbel",
        kind="multiplier",
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(days=1),
        holdout_percent=30,
    )
    for _ in range(50):
        MemberFactory(enrolled_at=now - datetime.timedelta(days=1))

    # when two workers count it at the same instant (the primary key decides; without
    # `ignore_conflicts` the second insert fails)
    def count(_index: int):
        audience = bonus_audience_count(BonusCampaign.objects.get(pk=offer.pk), now=now)
        return (audience.treated_members, audience.held_out_members)

    results = run_in_parallel(count, 2)

    # then both return the one stored audience
    assert all(isinstance(result, tuple) for result in results), results
    assert results[0] == results[1]
    assert sum(results[0]) == 50
    assert BonusAudience.objects.count() == 1
