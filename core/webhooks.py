"""Outbound webhooks: events sent to the shop's own systems, signed per Standard Webhooks.

    cause's transaction: emit(event) ──▶ WebhookDelivery row + outbox job (same commit)
    outbox worker (no transaction held): deliver(id) ──POST──▶ endpoint
        2xx: delivered, the next delivery of its chain is nudged
        other / timeout / refused: outbox backoff (30 s doubling, at most 1 h) for up to
        WEBHOOK_RETRY_DAYS; then the delivery gives up (staff can replay it)

- At least once: a delivery may arrive twice (a worker killed after the POST); `webhook-id`
  stays the same on every attempt and replay, so the receiver drops repeats.
- In order per member: a member's deliveries to one endpoint form a chain (`chain`), and a
  delivery waits while an older one of its chain still waits. A delivery that gave up no longer
  holds the chain back.
- An endpoint that has failed without a single success for WEBHOOK_DISABLE_AFTER_DAYS is
  disabled, and managers get an e-mail.
- Private, loopback and other non-public addresses are refused unless
  WEBHOOKS_ALLOW_PRIVATE_TARGETS (tests and local development): a webhook must not reach into
  the server's own network. Redirects are not followed for the same reason.

Lives in core because every app emits events; callers pass plain data (no models of theirs).
"""

import base64
import datetime
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import outbox
from .config_cache import cached_config, forget_config
from .errors import InvalidInput
from .models import WEBHOOK_ENDPOINTS_KEY, OutboxJob, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("core.webhooks")

EVENTS = (
    "member.enrolled",
    "member.updated",
    "member.erased",
    "member.merged",
    "consent.changed",
    "purchase.recorded",
    "purchase.refunded",
    "points.adjusted",
    "points.expired",
    "tier.changed",
    "reward.redeemed",
    "code.used",
    "delivery.sent",
    "delivery.converted",
)

JOB_DELIVER = "core.webhook_deliver"
SECRET_PREFIX = "whsec_"
USER_AGENT = "loyalty-engine-webhooks/1"
Status = WebhookDelivery.Status


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


# --- endpoints -----------------------------------------------------------------------------


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def events_parse(value: str | list[str]) -> list[str]:
    """A comma-separated list (or a list) of event names, checked; empty means every event."""
    names = value.split(",") if isinstance(value, str) else list(value)
    names = sorted({name.strip() for name in names if name.strip()})
    unknown = [name for name in names if name not in EVENTS]
    if unknown:
        raise InvalidInput(
            _("Unknown event: %(event)s. Known events: %(events)s.")
            % {"event": unknown[0], "events": ", ".join(EVENTS)},
            code="unknown_event",
            field="events",
        )
    return names


def url_check(url: str) -> str:
    """An http(s) address with a host; what it resolves to is checked when sending."""
    parts = urllib.parse.urlsplit((url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            _("Enter an http:// or https:// address."), code="invalid_url", field="url"
        )
    return parts.geturl()


def endpoint_create(*, url: str, events: str | list[str], active: bool = True) -> WebhookEndpoint:
    """Adds an endpoint with a fresh secret (shown to whoever creates it)."""
    endpoint = WebhookEndpoint(url=url_check(url), events=events_parse(events), active=active)
    endpoint.secret = secret_new()
    with transaction.atomic(savepoint=False):
        endpoint.save()
    return endpoint


# --- emitting ------------------------------------------------------------------------------


def endpoints_active() -> list[tuple[int, list[str]]]:
    """(id, events) of the active endpoints: read on every purchase, so from the config cache
    (a change reaches other processes within seconds). Endpoints are switched off, never deleted
    (admin offers no delete), so a cached id always exists."""
    return cached_config(
        WEBHOOK_ENDPOINTS_KEY,
        lambda: [
            (pk, list(events))
            for pk, events in WebhookEndpoint.objects.filter(active=True)
            .order_by("pk")
            .values_list("pk", "events")
        ],
    )


def emit(event: str, data: dict, *, member_id: int | None = None) -> int:
    """Queues `event` for every active endpoint that wants it, in the caller's transaction.

    `data` is plain JSON (ids, card numbers, amounts as strings, ISO times). A member's events
    form one chain per endpoint and are delivered in the order they were emitted.
    Returns how many deliveries were queued.
    """
    return emit_many(event, [(member_id, data)])


def emit_many(event: str, items: Iterable[tuple[int | None, dict]]) -> int:
    """`emit` for a batch job: (member id, data) per event, one query for the endpoints. `items`
    may be a generator: it is not consumed when no endpoint wants the event."""
    if event not in EVENTS:
        raise LookupError(f"Unknown webhook event {event!r}")
    endpoints = [pk for pk, events in endpoints_active() if not events or event in events]
    if not endpoints:
        return 0
    items = list(items)
    if not items:
        return 0
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=endpoint_id,
                msg_id=f"msg_{uuid.uuid4().hex}",
                event=event,
                chain=f"m{member_id}" if member_id else "",
                payload={
                    "type": event,
                    "timestamp": now.isoformat(),
                    "data": {"member_id": member_id, **data} if member_id else data,
                },
                created_at=now,
            )
            for member_id, data in items
            for endpoint_id in endpoints
        ],
        batch_size=1000,
    )
    outbox.enqueue_many(
        JOB_DELIVER,
        [(_job_key(delivery), {"delivery": delivery.pk}) for delivery in deliveries],
    )
    return len(deliveries)


def _job_key(delivery: WebhookDelivery, replay: bool = False) -> str:
    """The outbox key: the webhook-id, plus a fresh suffix for each replay."""
    return f"webhook:{delivery.msg_id}" + (f":replay-{uuid.uuid4().hex[:12]}" if replay else "")


# --- signing -------------------------------------------------------------------------------


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: "v1," + base64(HMAC-SHA256(key, "id.timestamp.body"))."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


# --- sending -------------------------------------------------------------------------------


class TargetRefused(Exception):
    """The endpoint's address is not a public one (SSRF guard)."""


def target_check(url: str) -> None:
    """Refuses an address that resolves to a non-public IP, unless the setting allows it."""
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False):
        return
    parts = urllib.parse.urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or None, type=socket.SOCK_STREAM)
    except OSError as error:
        raise TargetRefused(f"cannot resolve {parts.hostname}: {error}") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise TargetRefused(f"{parts.hostname} resolves to a non-public address {address}")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None  # a 3xx is an answer like any other non-2xx: a failure


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POSTs and returns the status code; raises OSError on a network failure or timeout."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=_setting("WEBHOOK_TIMEOUT_SECONDS", 5)) as response:
            response.read(1024)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@outbox.handler(JOB_DELIVER, atomic=False, max_attempts=500)
def deliver_job(payload: dict) -> None:
    deliver(delivery_id=payload["delivery"])


def deliver(*, delivery_id: int) -> str:
    """Sends one delivery (outside any transaction: network calls never hold locks).

    Returns "delivered", "gave_up" or "gone"; raises to let the outbox retry with backoff, or
    `outbox.RetryLater` while an older delivery of the same chain still waits.
    """
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Status.PENDING:
        return "gone"
    endpoint = delivery.endpoint
    if not endpoint.active:
        _record(delivery, status=Status.FAILED, error="endpoint disabled")
        return "gave_up"
    if delivery.chain and _earlier_waiting(delivery).exists():
        raise outbox.RetryLater("an earlier delivery to this endpoint for this member waits")
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(
            secret=endpoint.secret, msg_id=delivery.msg_id, timestamp=timestamp, body=body
        ),
    }
    code: int | None = None
    try:
        target_check(endpoint.url)
        code = _post(endpoint.url, body, headers)
        error = "" if 200 <= code < 300 else f"HTTP {code}"
    except (OSError, TargetRefused) as failure:
        error = f"{type(failure).__name__}: {failure}"
    if not error:
        _record(delivery, status=Status.DELIVERED, code=code)
        _nudge_next(delivery)
        return "delivered"
    gives_up = timezone.now() - delivery.created_at >= datetime.timedelta(
        days=_setting("WEBHOOK_RETRY_DAYS", 3)
    )
    _record(delivery, status=Status.FAILED if gives_up else Status.PENDING, code=code, error=error)
    if gives_up:
        _nudge_next(delivery)
        return "gave_up"
    raise WebhookFailed(error)


class WebhookFailed(Exception):
    pass


def _earlier_waiting(delivery: WebhookDelivery):
    return WebhookDelivery.objects.filter(
        endpoint_id=delivery.endpoint_id,
        chain=delivery.chain,
        status=Status.PENDING,
        pk__lt=delivery.pk,
    )


def _record(
    delivery: WebhookDelivery, *, status: str, code: int | None = None, error: str = ""
) -> None:
    """Writes how an attempt went, and the endpoint's health (its own short transaction).

    Conditional UPDATEs, no lock: of two workers failing at once, one starts the failing
    streak and one disables the endpoint (and tells managers), never both."""
    now = timezone.now()
    attempted = code is not None or bool(error and error != "endpoint disabled")
    changes: dict = {"status": status, "response_code": code, "last_error": error[:2000]}
    if attempted:
        changes.update(attempts=F("attempts") + 1, last_attempt_at=now)
    if status == Status.DELIVERED:
        changes["delivered_at"] = now
    endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    with transaction.atomic(durable=True):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
        if not attempted:
            return
        if status == Status.DELIVERED:
            endpoints.filter(failing_since__isnull=False).update(failing_since=None)
            return
        endpoints.filter(failing_since__isnull=True).update(failing_since=now)
        disabled = endpoints.filter(
            active=True,
            failing_since__lte=now
            - datetime.timedelta(days=_setting("WEBHOOK_DISABLE_AFTER_DAYS", 5)),
        ).update(active=False, disabled_at=now)
        if disabled:
            forget_config(WEBHOOK_ENDPOINTS_KEY)
            transaction.on_commit(lambda: _tell_managers(endpoints.get()))


def _tell_managers(endpoint: WebhookEndpoint) -> None:
    """E-mails every active user who may manage webhook endpoints (managers)."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    recipients = sorted(
        user.email for user in users if user.has_perm("core.change_webhookendpoint")
    )
    logger.warning(
        "Webhook endpoint %s disabled after failing since %s", endpoint.url, endpoint.failing_since
    )
    if not recipients:
        return
    send_mail(
        _("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url},
        _(
            "Every delivery to %(url)s has failed since %(since)s, so it has been disabled. "
            "Fix the receiver, then switch the endpoint on again and replay the deliveries "
            "that gave up in admin."
        )
        % {"url": endpoint.url, "since": endpoint.failing_since.isoformat()},
        None,
        recipients,
        fail_silently=True,
    )


def _nudge_next(delivery: WebhookDelivery) -> None:
    """Runs the next waiting delivery of the chain now rather than at its next wait check."""
    if not delivery.chain:
        return
    following = (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            chain=delivery.chain,
            status=Status.PENDING,
            pk__gt=delivery.pk,
        )
        .order_by("pk")
        .first()
    )
    if following is None:
        return
    jobs = OutboxJob.objects.filter(
        dedup_key__startswith=_job_key(following), state=OutboxJob.State.PENDING
    ).values_list("pk", flat=True)
    outbox.retry_now(jobs)


# --- staff ---------------------------------------------------------------------------------


def replay(delivery_ids: list[int]) -> int:
    """Staff: sends these delivered or given-up deliveries again now (same webhook-id).

    A waiting delivery is still being tried: replaying it would send it twice at once. The
    conditional UPDATE lets only one of two managers clicking at once queue a replay."""
    count = 0
    with transaction.atomic(durable=True):
        for delivery in WebhookDelivery.objects.filter(pk__in=delivery_ids).exclude(
            status=Status.PENDING
        ):
            if (
                not WebhookDelivery.objects.filter(pk=delivery.pk)
                .exclude(status=Status.PENDING)
                .update(status=Status.PENDING, created_at=timezone.now())
            ):
                continue  # replayed by someone else just now
            # created_at moved: a fresh WEBHOOK_RETRY_DAYS of retries.
            outbox.enqueue(JOB_DELIVER, {"delivery": delivery.pk}, key=_job_key(delivery, True))
            count += 1
    return count
