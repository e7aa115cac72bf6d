"""Reads of the rewards app (rewards/selectors.py)."""

import datetime

import pytest
from django.utils import timezone

from rewards.models import IssuedReward
from rewards.selectors import code_status_counts
from tests.factories import MemberFactory, RewardFactory
from tests.helpers import issue

pytestmark = pytest.mark.django_db


def test_codes_are_counted_by_the_status_the_member_sees():
    # given four codes: one unused, one past its date (not yet marked), one used, one revoked
    member = MemberFactory()
    reward = RewardFactory(points_cost=0)
    codes = [issue(member, reward) for _ in range(4)]
    IssuedReward.objects.filter(pk=codes[1].pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=1)
    )
    IssuedReward.objects.filter(pk=codes[2].pk).update(status=IssuedReward.Status.USED)
    IssuedReward.objects.filter(pk=codes[3].pk).update(status=IssuedReward.Status.REVOKED)
    issue(MemberFactory(), reward)  # another member's code does not count
    # when
    counts = code_status_counts(member=member)
    # then
    assert counts == {"unused": 1, "used": 1, "expired": 1, "revoked": 1}
