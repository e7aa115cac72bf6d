"""Outbound webhooks: signed per Standard Webhooks, at least once, in order per member."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from core import outbox, webhooks
from core.errors import InvalidInput
from core.models import OutboxJob, WebhookDelivery, WebhookEndpoint
from tests.factories import EarningRuleFactory, MemberFactory, UserFactory
from tests.helpers import purchase_body

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def make_due() -> None:
    """Moves every waiting delivery job's backoff to now (instead of waiting for it)."""
    OutboxJob.objects.filter(kind=webhooks.JOB_DELIVER, state="pending").update(
        next_attempt_at=timezone.now()
    )


def endpoint_for(receiver, events="") -> WebhookEndpoint:
    return webhooks.endpoint_create(url=receiver.url, events=events)


def emit(event: str, member_id: int | None = None, **data) -> None:
    with transaction.atomic():
        webhooks.emit(event, data, member_id=member_id)


def test_a_purchase_reaches_the_receiver_signed(receiver, pos, member):
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    endpoint = endpoint_for(receiver, "purchase.recorded")
    # when
    response = pos.post(
        "/api/v1/purchases/", purchase_body(member.card_number, amount="24.95"), format="json"
    )
    outbox.drain()
    # then
    assert response.status_code == 201
    [request] = receiver.received
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload["type"] == "purchase.recorded"
    data = payload["data"]
    assert data["member_id"] == member.pk
    assert data["card_number"] == member.card_number
    assert data["amount"] == "24.95"
    assert data["points_earned"] == 24
    assert request.headers["webhook-signature"].startswith("v1,")
    assert endpoint.secret.startswith("whsec_")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        Status.DELIVERED,
        1,
        200,
    )
    assert request.headers["webhook-id"] == delivery.msg_id


def test_after_a_500_the_same_webhook_id_comes_again(receiver, pos, member):
    endpoint = endpoint_for(receiver, "purchase.recorded")
    receiver.answers = [500]
    pos.post("/api/v1/purchases/", purchase_body(member.card_number), format="json")
    # when
    outbox.drain()
    # then: it failed and waits its backoff
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.last_error) == (
        Status.PENDING,
        500,
        "HTTP 500",
    )
    job = OutboxJob.objects.get(kind=webhooks.JOB_DELIVER)
    assert job.next_attempt_at > timezone.now() + datetime.timedelta(seconds=20)
    assert outbox.drain() == 0  # not before its time
    # when the backoff has passed
    make_due()
    outbox.drain()
    # then
    assert len(receiver.received) == 2
    assert receiver.ids[0] == receiver.ids[1] == delivery.msg_id
    for request in receiver.received:
        Webhook(endpoint.secret).verify(request.body, request.headers)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        Status.DELIVERED,
        2,
        200,
    )


def test_the_backoff_doubles(receiver, member):
    endpoint_for(receiver)
    receiver.answers = [500, 500, 500]
    emit("points.adjusted", member.pk, points=5)
    waits = []
    for _attempt in range(3):
        make_due()
        before = timezone.now()
        outbox.drain()
        job = OutboxJob.objects.get(kind=webhooks.JOB_DELIVER)
        waits.append(round((job.next_attempt_at - before).total_seconds() / 30))
    assert waits == [1, 2, 4]


def test_a_members_events_arrive_in_order(receiver, member):
    other_member = MemberFactory()
    endpoint_for(receiver)
    receiver.answers = [503]
    emit("points.adjusted", member.pk, points=1)
    emit("points.adjusted", member.pk, points=2)
    emit("points.adjusted", other_member.pk, points=3)
    # when the first fails
    outbox.drain()
    # then the member's second waits for it; another member's event is not held up
    assert [json.loads(r.body)["data"]["points"] for r in receiver.received] == [1, 3]
    # when the first goes through at last, the second follows
    make_due()
    outbox.drain()
    assert [json.loads(r.body)["data"]["points"] for r in receiver.received] == [1, 3, 1, 2]


def test_a_delivery_gives_up_after_three_days_and_frees_the_chain(receiver, member):
    endpoint_for(receiver)
    receiver.answers = [500]
    emit("points.adjusted", member.pk, points=1)
    emit("points.adjusted", member.pk, points=2)
    first = WebhookDelivery.objects.order_by("pk").first()
    WebhookDelivery.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3, minutes=1)
    )
    # when
    outbox.drain()
    make_due()
    outbox.drain()
    # then
    first.refresh_from_db()
    assert first.status == Status.FAILED
    assert [json.loads(r.body)["data"]["points"] for r in receiver.received] == [1, 2]
    assert WebhookDelivery.objects.filter(status=Status.DELIVERED).count() == 1


def test_an_endpoint_failing_for_days_is_disabled_and_managers_are_told(
    receiver, member, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    from loyalty_site import roles

    manager = UserFactory(email="boss@example.com")
    manager.groups.add(Group.objects.get(name=roles.MANAGER))
    UserFactory(email="cashier@example.com")
    endpoint = endpoint_for(receiver)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - datetime.timedelta(days=5, minutes=1)
    )
    receiver.answers = [500]
    emit("points.adjusted", member.pk, points=1)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        outbox.drain()
    # then
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.disabled_at is not None
    [notice] = mail.outbox
    assert notice.to == ["boss@example.com"]
    assert receiver.url in notice.subject
    # and nothing more is sent to it
    emit("points.adjusted", member.pk, points=2)
    make_due()
    outbox.drain()
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.filter(status=Status.FAILED).count() == 1


def test_a_success_clears_the_failing_streak(receiver, member):
    endpoint = endpoint_for(receiver)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now())
    emit("points.adjusted", member.pk, points=1)
    outbox.drain()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert endpoint.active


def test_private_targets_are_refused_unless_allowed(receiver, member, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    endpoint_for(receiver)
    emit("points.adjusted", member.pk, points=1)
    # when
    outbox.drain()
    # then
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING
    assert "non-public address 127.0.0.1" in delivery.last_error


@pytest.mark.parametrize(
    "host", ["10.0.0.8", "192.168.1.1", "169.254.169.254", "[::1]", "localhost", "0.0.0.0"]
)
def test_the_ssrf_guard_refuses_non_public_addresses(settings, host):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(webhooks.TargetRefused):
        webhooks.target_check(f"http://{host}/hook")


def test_redirects_are_not_followed(receiver, member):
    endpoint_for(receiver)
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"
    emit("points.adjusted", member.pk, points=1)
    outbox.drain()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code) == (Status.PENDING, 307)
    assert len(receiver.received) == 1


def test_an_unanswered_request_times_out_and_is_retried(member, settings):
    import socket

    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection but never answers
    try:
        webhooks.endpoint_create(url=f"http://127.0.0.1:{listener.getsockname()[1]}/", events="")
        emit("points.adjusted", member.pk, points=1)
        outbox.drain()
    finally:
        listener.close()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING
    assert "timed out" in delivery.last_error


def test_nothing_is_sent_for_a_change_that_rolled_back(receiver, member):
    endpoint_for(receiver)

    def change_that_fails() -> None:
        with transaction.atomic():
            webhooks.emit("points.adjusted", {"points": 1}, member_id=member.pk)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_that_fails()
    outbox.drain()
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()


def test_only_the_events_an_endpoint_asks_for_are_sent(receiver, member):
    endpoint_for(receiver, "tier.changed")
    other = webhooks.endpoint_create(url=receiver.url + "/all", events="")
    WebhookEndpoint.objects.create(url=receiver.url, secret=webhooks.secret_new(), active=False)
    emit("points.adjusted", member.pk, points=1)
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [other.pk]


def test_an_unknown_event_is_refused():
    with pytest.raises(InvalidInput, match="gebeurtenis: points.stolen") as refused:
        webhooks.events_parse("points.adjusted,points.stolen")
    assert (refused.value.code, refused.value.field) == ("unknown_event", "events")
