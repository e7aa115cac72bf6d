"""The shared kernel's tables: the transactional outbox (work that must follow a commit, written in
the same transaction), the database identity, and idempotency records."""

import uuid

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .config_cache import forget_config


class OutboxJob(models.Model):
    """One piece of after-commit work (a message, a bonus, a code, a webhook).

    Written in the transaction of the change that causes it, so it exists exactly when the change
    does. `dedup_key` is unique: the same cause can never queue the same work twice. The relay
    hands due jobs to Celery; a job whose worker died is taken again when its lease runs out.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Gave up")

    kind = models.CharField(_("kind"), max_length=64)
    dedup_key = models.CharField(_("key"), max_length=200, unique=True)
    payload = models.JSONField(_("payload"), default=dict)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    # Every claim counts here; it is also the fencing token that lets only the current claim
    # finish the job. Failures count apart: waiting (RetryLater) is not failing.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Not before this time (backoff after a failure).
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # Who holds the job until when: a worker running it, or the broker carrying it (published).
    # Once it has passed, the sweep hands the job out again.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]
        permissions = [("retry_outboxjob", _("Can retry background jobs"))]
        indexes = [
            # The sweep's question: what is due? Only open jobs are indexed.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["pending", "running"]),
                name="outbox_open_due",
            ),
            models.Index(fields=["kind", "state"], name="outbox_kind_state"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedup_key}"


class DatabaseIdentity(models.Model):
    """One row per database: a random id written when the database is created (by migration).

    Shared caches key their entries with it (core.config_cache), so a database recreated or
    restored behind the same Redis, or another database sharing it, never reads entries written
    for a different one. Not in admin: nobody edits it.
    """

    # Always 1: the table holds one row.
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("database identity")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="database_identity_one_row"),
        ]

    def __str__(self) -> str:
        return str(self.uuid)


class JobLease(models.Model):
    """A periodic job's lock when the app reaches PostgreSQL through PgBouncer in transaction
    mode (core/locks.py): one row per held lock, its name the primary key, so two processes
    can never both hold it; a lease runs out, so a crashed holder blocks the job for
    `timeout_seconds` at most. Not in admin: nobody edits it."""

    name = models.CharField(max_length=200, primary_key=True)
    token = models.CharField(max_length=32)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("job lease")

    def __str__(self) -> str:
        return self.name


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an idempotency key, replayed on retries.

    Keys belong to a client: a store's tills (`store:<id>`) or a member on the portal
    (`member:<id>`). The unique constraint is what makes the write happen once: a concurrent
    retry blocks on it until the first transaction commits, then finds this row and replays it.
    """

    client = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(default=0)
    # The bytes that were sent, so a replay is the same answer byte for byte (a JSON column
    # would keep the values but not the order of the keys).
    response_content = models.BinaryField(default=b"")
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "key"], name="idempotency_key_unique_per_client"
            )
        ]


WEBHOOK_ENDPOINTS_KEY = "webhook_endpoints"


class WebhookEndpoint(models.Model):
    """A receiver of outbound webhooks (core.webhooks): where to, which events, signed with what."""

    url = models.URLField(_("URL"), max_length=500)
    # Event names (core.webhooks.EVENTS); empty means every event.
    events = models.JSONField(_("events"), default=list, blank=True)
    # "whsec_" + base64 of 24 random bytes (Standard Webhooks).
    secret = models.CharField(_("secret"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The first failure since the last success: an endpoint failing for days is disabled.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        # core.webhooks.endpoints_active; again after the commit, in case another process read
        # the old rows back into the cache meanwhile.
        forget_config(WEBHOOK_ENDPOINTS_KEY)
        transaction.on_commit(lambda: forget_config(WEBHOOK_ENDPOINTS_KEY))


class WebhookDelivery(models.Model):
    """One event for one endpoint: its signed message and how sending it went.

    `msg_id` is the `webhook-id` header: the same on every attempt and replay, so the receiver
    can drop repeats. Deliveries of one endpoint and member go out in `pk` order (`chain`).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Gave up")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    msg_id = models.CharField(_("webhook id"), max_length=40, unique=True)
    event = models.CharField(_("event"), max_length=40)
    # "m<member id>" for a member's events (they go out in order), "" for the rest.
    chain = models.CharField(_("chain"), max_length=40, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        permissions = [("replay_webhookdelivery", _("Can replay webhook deliveries"))]
        indexes = [
            models.Index(
                fields=["endpoint", "chain", "id"],
                condition=models.Q(status="pending"),
                name="webhook_chain_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.msg_id}"
