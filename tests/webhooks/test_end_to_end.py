"""End to end on PostgreSQL: a committed purchase reaches the receiver through the real outbox
path (on commit → broker → worker), and the POST happens after the commit."""

import threading
from decimal import Decimal

import pytest
from django.db import connections
from standardwebhooks.webhooks import Webhook

from core import outbox, webhooks
from points.models import Purchase
from tests.factories import EarningRuleFactory
from tests.helpers import purchase_body
from tests.markers import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_post_comes_after_the_commit_and_is_signed(receiver, pos, member):
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    endpoint = webhooks.endpoint_create(url=receiver.url, events="purchase.recorded")
    seen_committed: list[bool] = []

    def look() -> None:
        # Another connection (another thread): sees only what has committed.
        try:
            seen_committed.append(Purchase.objects.filter(transaction_id="T-1001").exists())
        except Exception as error:  # noqa: BLE001 - shown by the assertion below
            seen_committed.append(error)  # type: ignore[arg-type]
        finally:
            connections.close_all()

    def look_from_elsewhere() -> None:
        thread = threading.Thread(target=look)
        thread.start()
        thread.join()

    receiver.on_request = look_from_elsewhere
    # when (Celery runs eagerly in tests: the job runs when the purchase commits; should an
    # earlier test have left the broker paused, the drain, as the sweep would, runs it)
    response = pos.post("/api/v1/purchases/", purchase_body(member.card_number), format="json")
    outbox.drain()
    # then
    assert response.status_code == 201
    [request] = receiver.received
    assert Webhook(endpoint.secret).verify(request.body, request.headers)["type"] == (
        "purchase.recorded"
    )
    assert seen_committed == [True]
