"""Which reads may go to the read replica (core/replica.py); the real replica is exercised by
tests/faults/test_replica.py."""

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from core import replica
from core.replica import PIN_COOKIE, PrimaryPinMiddleware, ReplicaRouter, replica_reads
from points.models import PointsEntry

router = ReplicaRouter()


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(replica, "replica_configured", lambda: True)


def test_without_a_replica_every_read_goes_to_the_primary():
    with replica_reads():
        assert router.db_for_read(PointsEntry) == "default"


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # no test transaction around the reads
def test_only_reads_that_ask_for_it_go_to_the_replica(with_replica):
    assert router.db_for_read(PointsEntry) == "default"
    with replica_reads():
        assert router.db_for_read(PointsEntry) == "replica"
        with transaction.atomic():  # a transaction reads what it wrote
            assert router.db_for_read(PointsEntry) == "default"
        with replica.pinned_to_primary():
            assert router.db_for_read(PointsEntry) == "default"
    assert router.db_for_write(PointsEntry) == "default"
    assert router.allow_migrate("replica", "points") is False
    assert router.allow_migrate("default", "points") is True


def _middleware(status: int = 200):
    seen: list[str] = []

    def view(request):
        with replica_reads():
            seen.append(router.db_for_read(PointsEntry))
        return HttpResponse(status=status)

    return PrimaryPinMiddleware(view), seen


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # no test transaction around the request
def test_a_browser_that_changed_something_reads_the_primary_for_a_while(with_replica, settings):
    settings.REPLICA_PIN_SECONDS = 15
    factory = RequestFactory()
    middleware, seen = _middleware()

    plain = middleware(factory.get("/history/"))
    written = middleware(factory.post("/rewards/1/redeem/"))
    pinned = factory.get("/history/")
    pinned.COOKIES[PIN_COOKIE] = "1"
    middleware(pinned)

    assert seen == ["replica", "default", "default"]
    assert PIN_COOKIE not in plain.cookies
    assert written.cookies[PIN_COOKIE]["max-age"] == 15
    assert written.cookies[PIN_COOKIE]["httponly"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refused_change_does_not_pin_the_browser(with_replica):
    middleware, _seen = _middleware(status=400)

    refused = middleware(RequestFactory().post("/profile/"))

    assert PIN_COOKIE not in refused.cookies
