"""Running automations: set-based for scheduled triggers, per event for the others."""

import datetime
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Min
from django.utils import timezone

from accounts.models import Member
from core import outbox
from core.config_cache import cached_config, forget_config
from core.locks import job_lock
from points.models import Purchase

from .. import selectors
from ..models import Automation, AutomationRun, Delivery, Trigger
from .deliveries import deliveries_fulfil_matching, delivery_queue
from .escalations import escalations_queue_due
from .surveys import satisfaction_invitations_queue

logger = logging.getLogger(__name__)

LIVE_CACHE_KEY = "campaigns:live-event-automations"
JOB_FULFIL_PENDING = "campaigns.run_fulfil_left_over"  # a run's safety net (campaigns/jobs.py)


def period_key(automation: Automation, now: datetime.datetime) -> str:
    """The period a scheduled delivery belongs to; (automation, member, period) is unique."""
    today = timezone.localtime(now).date()
    if automation.trigger == Trigger.BIRTHDAY:
        return f"birthday:{today.year}"
    span = max(1, automation.cooldown_days or 1)
    return f"{automation.trigger}:{today.toordinal() // span}"


def _insert_deliveries(automation: Automation, members, *, key: str, now, limit: int | None) -> int:
    """INSERT … SELECT of new pending deliveries; conflicts (already delivered) are skipped."""
    ids = members.order_by("pk").annotate(member_ref=F("pk")).values("member_ref")
    if limit is not None:
        ids = ids[:limit]
    select_sql, params = ids.query.sql_with_params()
    sql = (
        f"INSERT INTO {Delivery._meta.db_table} "
        "(automation_id, member_id, period_key, created_at, status, skip_reason, channel, "
        "attempts, last_error, provider_reference) "
        "SELECT %s, chosen.member_ref, %s, %s, 'pending', '', '', 0, '', '' "
        f"FROM ({select_sql}) chosen "
        # WHERE true: SQLite needs it to parse an upsert after INSERT … SELECT.
        "WHERE true ON CONFLICT (automation_id, member_id, period_key) DO NOTHING"
    )
    created_at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [automation.pk, key, created_at, *params])
        return max(0, cursor.rowcount)


@dataclass
class RunProgress:
    members_seen: int
    members_total: int
    created: int


def automation_run(
    automation: Automation,
    *,
    now: datetime.datetime | None = None,
    batch_size: int = 10_000,
    progress: Callable[[RunProgress], None] | None = None,
) -> AutomationRun:
    """One run of a scheduled automation over all members, in member-id ranges.

    Holds a lock per automation and period, so a second beat or an overlapping run skips; the
    unique constraint on deliveries stops anything that slips past. Each range is one
    INSERT … SELECT (no members in memory); then the new deliveries are fulfilled in batches
    and their messages enqueued.
    """
    now = now or timezone.now()
    key = period_key(automation, now)
    run = AutomationRun.objects.create(automation=automation, started_at=now)
    with job_lock(f"automation:{automation.pk}:{key}") as acquired:
        if not acquired:
            run.skipped_lock_held = True
            run.finished_at = timezone.now()
            run.save()
            return run
        base = selectors.audience(
            automation, selectors.trigger_audience(automation, now=now), now=now
        )
        bounds = Member.objects.aggregate(low=Min("pk"), high=Max("pk"))
        low, high = bounds["low"] or 0, bounds["high"] or -1
        start = low
        safety_net = f"run-fulfil:{run.pk}"
        while start <= high:
            end = start + batch_size
            left = selectors.budget_left(automation, now=now)
            created = 0
            if left != 0:
                with transaction.atomic(durable=True):
                    created = _insert_deliveries(
                        automation,
                        base.filter(pk__gte=start, pk__lt=end),
                        key=key,
                        now=now,
                        limit=left,
                    )
                    if created and not run.created:
                        # If this run dies before it fulfils what it inserted (a worker killed
                        # mid-run), this job does it once its delay has passed.
                        outbox.enqueue(
                            JOB_FULFIL_PENDING,
                            {"automation": automation.pk, "period": key},
                            key=safety_net,
                            delay=outbox.lease(),
                        )
                run.created += created
            if left is not None and created >= left:
                # Budget spent: count who else would have qualified, for the run's record.
                delivered = Delivery.objects.filter(automation=automation, period_key=key)
                run.left_out_by_budget = (
                    base.filter(pk__gte=start).exclude(pk__in=delivered.values("member_id")).count()
                )
                break
            if progress:
                progress(RunProgress(min(end, high + 1) - low, high + 1 - low, run.created))
            start = end
        run.audience = run.created + run.left_out_by_budget
        deliveries_fulfil_pending(automation, batch_size=min(batch_size, 20_000))
        outbox.complete(safety_net)
    run.finished_at = timezone.now()
    run.save()
    return run


def automation_fulfil_left_over(automation_id: int, *, period: str) -> int:
    """What the safety net of a run does: fulfil the deliveries a run inserted and did not live
    to fulfil. Waits (retry later) while the run still holds its lock."""
    automation = Automation.objects.select_related("reward").get(pk=automation_id)
    with job_lock(f"automation:{automation.pk}:{period}") as acquired:
        if not acquired:
            raise outbox.RetryLater(f"automation {automation.pk} is still running")
        return deliveries_fulfil_pending(automation)


def deliveries_fulfil_pending(automation: Automation, *, batch_size: int = 1000) -> int:
    """Fulfils the automation's deliveries that were created but not fulfilled: this run's, and
    any an earlier run left when it died in between (a worker killed mid-run). Not only this
    period's: the cooldown keeps those members out of a new delivery, so if the period turned
    meanwhile, nothing else would ever fulfil theirs."""
    # (an unfulfilled delivery is never sent or skipped: the status names the partial index)
    unfulfilled = Delivery.objects.filter(
        automation=automation,
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING, Delivery.Status.FAILED],
        fulfilled_at__isnull=True,
    )
    done, last_id = 0, 0
    while True:
        ids = list(
            unfulfilled.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return done
        deliveries_fulfil_matching(
            Delivery.objects.filter(automation=automation, pk__gte=ids[0], pk__lte=ids[-1])
        )
        done += len(ids)
        last_id = ids[-1]


def automations_run_due(
    *,
    now: datetime.datetime | None = None,
    progress: Callable[[Automation, RunProgress], None] | None = None,
) -> list[AutomationRun]:
    """Runs every live scheduled automation once, then queues the escalation steps that are due
    and asks recent buyers the satisfaction question (what Celery beat calls every hour)."""
    now = now or timezone.now()
    runs = []
    for automation in (
        Automation.objects.live(now)
        .filter(trigger__in=Trigger.scheduled())
        .select_related("reward", "segment")
    ):
        runs.append(
            automation_run(
                automation,
                now=now,
                progress=functools.partial(progress, automation) if progress else None,
            )
        )
    escalations_queue_due(now=now)
    satisfaction_invitations_queue(now=now)
    return runs


# --- event triggers -----------------------------------------------------------------------


def live_event_automations(trigger: str) -> list[Automation]:
    """Cached: consulted on every purchase, so no query when nothing listens."""
    automations = cached_config(
        LIVE_CACHE_KEY,
        lambda: list(
            Automation.objects.filter(is_active=True)
            .exclude(trigger__in=Trigger.scheduled())
            .select_related("reward", "segment", "tier")
        ),
    )
    now = timezone.now()
    return [
        automation
        for automation in automations
        if automation.trigger == trigger
        and (automation.starts_at is None or automation.starts_at <= now)
        and (automation.ends_at is None or automation.ends_at > now)
    ]


def automations_cache_clear() -> None:
    forget_config(LIVE_CACHE_KEY)


def delivery_create_for_event(
    automation: Automation, *, member: Member, key: str, trigger_purchase: Purchase | None = None
) -> Delivery | None:
    """Inside the event's transaction: a pending delivery, if the member qualifies.

    Fulfilment and the message follow after commit (an outbox job written in the event's
    transaction), so the event is never slowed by issuing codes or sending mail, and neither is
    lost if the broker is down.
    """
    now = timezone.now()
    if member.status != Member.Status.ACTIVE:
        return None
    candidates = selectors.audience(automation, Member.objects.filter(pk=member.pk), now=now)
    if not candidates.exists():
        return None
    if selectors.budget_left(automation, now=now) == 0:
        logger.info("Automation %s: budget spent, member %s left out", automation.pk, member.pk)
        return None
    try:
        with transaction.atomic(savepoint=True):
            delivery = Delivery.objects.create(
                automation=automation,
                member=member,
                period_key=key[:64],
                created_at=now,
                trigger_purchase=trigger_purchase,
            )
    except IntegrityError:
        return None  # already delivered for this event
    delivery_queue(delivery)
    return delivery
