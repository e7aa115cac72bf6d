"""One-click unsubscribe (RFC 8058) and STOP replies: opting out without signing in."""

import hashlib
import hmac
import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ConsentChange, Member
from accounts.portal import login_link_issue
from accounts.unsubscribe import unsubscribe_token
from campaigns.messaging import MemoryBackend
from campaigns.models import Delivery
from campaigns.services import deliveries_fulfil, delivery_send
from tests.factories import AutomationFactory, MemberFactory

pytestmark = pytest.mark.django_db

SECRET = "test-inbound-secret"


@pytest.fixture(autouse=True)
def _messages(settings):
    settings.LOYALTY_MESSAGE_BACKENDS = {
        "sms": "campaigns.messaging.MemoryBackend",
        "whatsapp": "campaigns.messaging.MemoryBackend",
    }
    settings.LOYALTY_PORTAL_URL = "https://loyalty.example.nl"
    settings.LOYALTY_INBOUND_SECRET = SECRET
    MemoryBackend.outbox = []


@pytest.fixture
def subscriber(db) -> Member:
    now = timezone.now()
    return MemberFactory(
        email_consent_at=now, sms_consent_at=now, whatsapp_consent_at=now, phone="+31612345678"
    )


def _send(member, channel: str, period: str = "1") -> str:
    automation = AutomationFactory(trigger="welcome", days=None, channel=channel)
    delivery = Delivery.objects.create(automation=automation, member=member, period_key=period)
    deliveries_fulfil([delivery.pk])
    return delivery_send(delivery.pk)


def test_an_automation_email_carries_both_unsubscribe_headers_and_a_footer_link(subscriber):
    assert _send(subscriber, "email") == "sent"
    [email] = mail.outbox
    url = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://loyalty.example.nl/unsubscribe/")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the link is in the footer of the text and of the HTML, after the legal sentence
    assert email.body.rstrip().endswith(url)
    html = email.alternatives[0][0]
    assert f'href="{url}"' in html
    assert html.index("profiel") < html.index(url)  # Dutch legal footer first
    # and the message is what the headers say
    message = email.message()
    assert message["List-Unsubscribe"] == f"<{url}>"


def test_a_one_click_post_withdraws_consent_and_the_next_run_skips_the_member(subscriber):
    _send(subscriber, "email")
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    # when the mail client posts the one-click request (no session, no CSRF token)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url.removeprefix("https://loyalty.example.nl"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    # then e-mail consent is withdrawn and recorded with its source
    assert response.status_code == 200
    member = Member.objects.get(pk=subscriber.pk)
    assert member.email_consent_at is None
    assert member.sms_consent_at is not None  # only that channel
    change = ConsentChange.objects.get(member=member, channel="email")
    assert (change.is_granted, change.source) == (False, "unsubscribe_link")
    # and the next automation sends that member no e-mail
    assert _send(member, "email", period="2") == "skipped"
    assert len(mail.outbox) == 1
    # a second click changes nothing more
    client.post(url.removeprefix("https://loyalty.example.nl"))
    assert ConsentChange.objects.filter(member=member, channel="email").count() == 1


def test_opening_the_link_only_asks(client, subscriber):
    token = unsubscribe_token(member_id=subscriber.pk, channel="sms")
    page = client.get(reverse("portal:unsubscribe", args=[token]))
    assert page.status_code == 200
    assert b'id="unsubscribe"' in page.content
    assert Member.objects.get(pk=subscriber.pk).sms_consent_at is not None


@pytest.mark.parametrize("token", ["nonsense", "WzEsImVtYWlsIl0:forged:signature"])
def test_a_forged_link_withdraws_nothing(client, subscriber, token):
    response = client.post(reverse("portal:unsubscribe", args=[token]))
    assert response.status_code == 404
    assert not ConsentChange.objects.exists()


def test_a_link_for_another_channel_or_member_cannot_be_made_from_one(subscriber):
    token = unsubscribe_token(member_id=subscriber.pk, channel="email")
    value, signature = token.rsplit(":", 1)
    assert unsubscribe_token(member_id=subscriber.pk, channel="sms") != token
    assert unsubscribe_token(member_id=subscriber.pk + 1, channel="email").rsplit(":", 1)[1] != (
        signature
    )


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_short_messages_end_with_stop_and_the_link(subscriber, channel):
    subscriber.preferred_channel = channel
    _send(subscriber, channel)
    [message] = MemoryBackend.outbox
    assert "STOP" in message.body
    assert message.body.endswith(message.unsubscribe_url)


def test_a_sign_in_link_carries_no_unsubscribe(subscriber, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        login_link_issue(member=subscriber, link_for=lambda token: f"https://x/{token}")
    [email] = mail.outbox
    assert "List-Unsubscribe" not in email.extra_headers
    assert "unsubscribe" not in email.body


def _callback(client, payload: dict, *, secret: str = SECRET):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        reverse("accounts:inbound-message"),
        body,
        content_type="application/json",
        headers={"X-Loyalty-Signature": signature},
    )


@pytest.mark.parametrize(
    "text", ["STOP", "stop", "Stop.", "  STOP ALLES ", "stop alles!", "Afmelden"]
)
def test_a_stop_reply_withdraws_that_channel(client, subscriber, text):
    response = _callback(client, {"channel": "sms", "sender": "06 12345678", "text": text})
    assert response.status_code == 200
    assert response.json() == {"withdrawn": True}
    member = Member.objects.get(pk=subscriber.pk)
    assert member.sms_consent_at is None
    assert member.whatsapp_consent_at is not None
    change = ConsentChange.objects.get(member=member)
    assert (change.channel, change.source) == ("sms", "stop_reply")
    assert "+31612345678" in change.detail


@pytest.mark.parametrize(
    "payload",
    [
        {
            "channel": "whatsapp",
            "sender": "+31612345678",
            "text": "Stoppen is geen optie, ik wil meer",
        },
        {"channel": "whatsapp", "sender": "+31612345678", "text": "Hoeveel punten heb ik?"},
        {"channel": "sms", "sender": "+31611111111", "text": "STOP"},  # nobody's number
    ],
)
def test_other_replies_change_nothing(client, subscriber, payload):
    response = _callback(client, payload)
    assert response.status_code == 200
    assert response.json() == {"withdrawn": False}
    assert not ConsentChange.objects.exists()


def test_a_callback_with_a_wrong_signature_is_refused(client, subscriber):
    response = _callback(
        client, {"channel": "sms", "sender": "+31612345678", "text": "STOP"}, secret="guess"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "invalid_signature"
    assert Member.objects.get(pk=subscriber.pk).sms_consent_at is not None


def test_without_a_configured_secret_every_callback_is_refused(client, subscriber, settings):
    settings.LOYALTY_INBOUND_SECRET = ""
    response = _callback(
        client, {"channel": "sms", "sender": "+31612345678", "text": "STOP"}, secret=""
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"channel": "email", "sender": "+31612345678", "text": "STOP"}, "channel"),
        ({"channel": "sms", "sender": "not a number", "text": "STOP"}, "sender"),
        ({"channel": "sms", "text": "STOP"}, "sender"),
    ],
)
def test_a_malformed_callback_gets_a_clear_error(client, subscriber, payload, field):
    response = _callback(client, payload)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not ConsentChange.objects.exists()
