"""Managing webhooks: admin (managers only), the delivery log with replay, create_webhook."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from core import outbox, webhooks
from core.models import WebhookDelivery, WebhookEndpoint
from loyalty_site import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_create_webhook_prints_the_secret_last(receiver):
    out = io.StringIO()
    call_command(
        "create_webhook", receiver.url, "--events", "purchase.recorded,tier.changed", stdout=out
    )
    endpoint = WebhookEndpoint.objects.get()
    assert out.getvalue().splitlines()[-1] == endpoint.secret
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.events == ["purchase.recorded", "tier.changed"]
    assert endpoint.active


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["https://x.example/", "--events", "purchase.recorded,nope"], "gebeurtenis: nope"),
        (["ftp://x.example/"], "http://- of https://"),
        (["not a url"], "http://- of https://"),
    ],
)
def test_create_webhook_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_webhook", *args, stdout=io.StringIO())
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed"), [(roles.MANAGER, True), (roles.MARKETING, False), (roles.CASHIER, False)]
)
def test_only_managers_manage_endpoints_and_see_the_log(client, role, allowed):
    client.force_login(UserFactory(role=role))
    for name in ("core_webhookendpoint", "core_webhookdelivery"):
        status = client.get(reverse(f"admin:{name}_changelist")).status_code
        assert status == (200 if allowed else 403)


def test_a_manager_adds_an_endpoint_in_admin(client):
    client.force_login(UserFactory(role=roles.MANAGER))
    response = client.post(
        reverse("admin:core_webhookendpoint_add"),
        {"url": "https://shop.example.com/hooks", "events": ["reward.redeemed"], "active": "on"},
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["reward.redeemed"]
    assert endpoint.secret.startswith("whsec_")
    # the secret is shown on its page
    page = client.get(reverse("admin:core_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret in page.content.decode()


def test_a_bad_address_is_a_form_error(client):
    client.force_login(UserFactory(role=roles.MANAGER))
    response = client.post(
        reverse("admin:core_webhookendpoint_add"), {"url": "ftp://shop.example.com/"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"]
    assert not WebhookEndpoint.objects.exists()


@pytest.fixture
def delivered(receiver, member) -> WebhookDelivery:
    """One event delivered to the receiver."""
    webhooks.endpoint_create(url=receiver.url, events="")
    with transaction.atomic():
        webhooks.emit("points.adjusted", {"points": 7}, member_id=member.pk)
    outbox.drain()
    return WebhookDelivery.objects.get()


def test_replay_sends_the_same_webhook_id_again(client, receiver, delivered):
    delivery = delivered
    client.force_login(UserFactory(role=roles.MANAGER))
    # the log shows it
    log = client.get(reverse("admin:core_webhookdelivery_changelist")).content.decode()
    assert "points.adjusted" in log
    page = client.get(reverse("admin:core_webhookdelivery_change", args=[delivery.pk]))
    assert reverse("admin:core_webhookdelivery_replay", args=[delivery.pk]) in page.content.decode()
    # when
    response = client.post(reverse("admin:core_webhookdelivery_replay", args=[delivery.pk]))
    outbox.drain()
    # then
    assert response.status_code == 302
    assert receiver.ids == [delivery.msg_id, delivery.msg_id]
    assert [json.loads(r.body)["data"]["points"] for r in receiver.received] == [7, 7]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.DELIVERED, 2)


def test_replay_from_the_list_and_not_by_get_or_by_others(client, receiver, delivered):
    delivery = delivered
    url = reverse("admin:core_webhookdelivery_replay", args=[delivery.pk])
    client.force_login(UserFactory(role=roles.MANAGER))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(role=roles.CASHIER))
    assert client.post(url).status_code == 403
    client.force_login(UserFactory(role=roles.MANAGER))
    client.post(
        reverse("admin:core_webhookdelivery_changelist"),
        {"action": "replay", "_selected_action": [delivery.pk]},
    )
    outbox.drain()
    assert len(receiver.received) == 2
