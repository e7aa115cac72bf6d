"""Job locks behind PgBouncer in transaction mode are lease rows (core/locks.py)."""

import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from core.locks import job_lock
from core.models import JobLease
from tests.concurrency import run_in_parallel
from tests.markers import postgres_only

pytestmark = [
    postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@override_settings(DATABASE_POOLING="transaction")
def test_two_runs_taking_the_lease_at_once_get_it_once():
    # the lease's name is its primary key: without it both runs would insert a row
    def take(_index: int) -> bool:
        with job_lock("nightly") as acquired:
            if acquired:
                time.sleep(0.5)  # held while the other runs try
            return acquired

    results = run_in_parallel(take, 4)

    assert sorted(results) == [False, False, False, True]
    assert not JobLease.objects.exists()  # released when the holder's block ended


@override_settings(DATABASE_POOLING="transaction")
def test_a_lease_held_elsewhere_keeps_the_job_out_until_it_runs_out():
    JobLease.objects.create(
        name="nightly", token="crashed-holder", expires_at=timezone.now() + timedelta(hours=1)
    )
    with job_lock("nightly") as acquired:
        assert acquired is False
    assert JobLease.objects.get(name="nightly").token == "crashed-holder"  # not released by us

    JobLease.objects.filter(name="nightly").update(expires_at=timezone.now() - timedelta(seconds=1))
    with job_lock("nightly") as acquired:
        assert acquired is True
        assert JobLease.objects.get(name="nightly").token != "crashed-holder"
    assert not JobLease.objects.exists()


def test_connected_directly_the_lock_is_a_session_advisory_lock():
    with job_lock("nightly") as acquired:
        assert acquired is True
        assert not JobLease.objects.exists()
