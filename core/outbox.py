"""The transactional outbox: the one way out of a transaction for work that must follow a commit.

A change that causes after-commit work (a welcome bonus, a message, a code, a webhook) calls
`enqueue()` inside its own transaction. The job row commits or rolls back with the change, so
work is never lost when the broker is down and never done for a change that rolled back.

    change + job rows ──commit──▶ on_commit: publish(ids) ──▶ Celery ──▶ run(id) ──▶ handler
                                        │ broker down: logged, nothing lost
    sweep (beat, every minute) ─────────┘ hands out what is due or whose lease ran out

- `run()` claims a job with one conditional UPDATE (state and lease), so two deliveries of the
  same task message, or a message and the sweep, never run it at the same time.
- A job's `attempts` is its fencing token: a worker whose lease ran out (and whose job was taken
  over) cannot mark it done; an atomic handler's work is then rolled back.
- Failures are retried with exponential backoff up to the kind's `max_attempts`, then the job
  gives up (state `failed`, visible in admin, where staff can retry it).
- Handlers must be idempotent per job: a job can run more than once (a worker killed after the
  work but before marking it done). Kinds declared `atomic` run the handler and the "done" mark in
  one transaction, which makes database-only work exactly-once.

One module, a little over 400 lines, on purpose: it is one state machine (pending → running →
done | failed, with leases and a fence), and every transition should be read next to the others.
"""

import datetime
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from .models import OutboxJob

logger = logging.getLogger("core.outbox")

State = OutboxJob.State


def _seconds(name: str, default: float) -> datetime.timedelta:
    return datetime.timedelta(seconds=float(getattr(settings, name, default)))


def lease() -> datetime.timedelta:
    """How long a worker holds a running job before the sweep may hand it out again."""
    return _seconds("OUTBOX_LEASE_SECONDS", 300)


def publish_grace() -> datetime.timedelta:
    """How long a published job may sit in the broker before the sweep publishes it again."""
    return _seconds("OUTBOX_PUBLISH_GRACE_SECONDS", 60)


BROKER_PAUSE_SECONDS = 10.0  # after a failed publish, this process stops trying for a while
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 60 * 60


@dataclass(frozen=True)
class Kind:
    name: str
    handler: Callable[[dict], object]
    atomic: bool
    max_attempts: int
    on_give_up: Callable[[dict, str], None] | None
    forget_payload: bool


_kinds: dict[str, Kind] = {}


def handler(
    name: str,
    *,
    atomic: bool = True,
    max_attempts: int = 10,
    on_give_up: Callable[[dict, str], None] | None = None,
    forget_payload: bool = False,
):
    """Registers the handler of a kind of job (in an app's `jobs` module).

    `atomic=True`: the handler and the "done" mark share one transaction (database-only work).
    `atomic=False`: the handler manages its own transactions (it talks to the outside world and
    must not hold locks meanwhile); it must then be safe to repeat.
    `forget_payload=True`: the payload holds a secret (a sign-in link) and is blanked when done.
    """

    def register(func: Callable[[dict], object]) -> Callable[[dict], object]:
        _kinds[name] = Kind(name, func, atomic, max_attempts, on_give_up, forget_payload)
        return func

    return register


def kinds() -> dict[str, Kind]:
    return dict(_kinds)


class RetryLater(Exception):
    """Raised by a handler when its work cannot be done yet; the job is retried with backoff."""


# --- writing jobs --------------------------------------------------------------------------


def enqueue(kind: str, payload: dict, *, key: str, delay: datetime.timedelta | None = None) -> None:
    """Adds one job to the current transaction (see `enqueue_many`)."""
    enqueue_many(kind, [(key, payload)], delay=delay)


def enqueue_many(
    kind: str, jobs: Iterable[tuple[str, dict]], *, delay: datetime.timedelta | None = None
) -> list[int]:
    """Writes jobs of one kind in the caller's transaction; a job whose key exists is skipped.

    Must be called inside `transaction.atomic()`: a job written outside one could commit without
    its cause, or its cause without it. The new jobs are published when the transaction commits,
    unless they are delayed: a delayed job is a safety net that runs only if nobody calls
    `complete()` for it in time (the sweep hands it out once the delay has passed).
    Returns the ids of the jobs written now.
    """
    if kind not in _kinds:
        raise LookupError(f"No outbox handler for {kind!r}")
    if connection.get_autocommit():
        raise RuntimeError("outbox.enqueue must run inside the transaction of its cause")
    jobs = list(jobs)
    if not jobs:
        return []
    now = timezone.now()
    payload_field = OutboxJob._meta.get_field("payload")
    stamp = connection.ops.adapt_datetimefield_value(now)
    due = connection.ops.adapt_datetimefield_value(now + delay) if delay else stamp
    # Published at commit: the sweep leaves it alone for the publish grace period.
    leased = None if delay else connection.ops.adapt_datetimefield_value(now + publish_grace())
    ids: list[int] = []
    for start in range(0, len(jobs), 500):
        chunk = jobs[start : start + 500]
        values = ", ".join(["(%s, %s, %s, 'pending', 0, 0, %s, %s, %s, '')"] * len(chunk))
        params: list = []
        for key, payload in chunk:
            params += [
                kind,
                key[:200],
                payload_field.get_db_prep_save(payload, connection),
                stamp,
                due,
                leased,
            ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {OutboxJob._meta.db_table} (kind, dedup_key, payload, state, "
                "attempts, failures, created_at, next_attempt_at, lease_until, last_error) "
                f"VALUES {values} ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
                params,
            )
            ids += [row[0] for row in cursor.fetchall()]
    if ids and not delay:
        transaction.on_commit(lambda: publish(ids))
    return ids


def complete(key: str) -> bool:
    """Marks a waiting job done without running it (its work was done another way): how a
    delayed safety-net job is called off. Returns whether there was one to call off."""
    return bool(
        OutboxJob.objects.filter(dedup_key=key, state=State.PENDING).update(
            state=State.DONE, done_at=timezone.now(), lease_until=None
        )
    )


# --- handing jobs to Celery ----------------------------------------------------------------

_broker_paused_until = 0.0


def publish(job_ids: list[int]) -> int:
    """Hands jobs to the broker; never raises. Returns how many were handed over.

    Runs after a commit, so a failure here must not turn a committed change into an error: a
    broker that is down is logged, and this process stops trying for a few seconds (so requests
    do not each wait for a connect timeout). The sweep publishes the jobs once it is back.
    """
    global _broker_paused_until
    if not job_ids or time.monotonic() < _broker_paused_until:
        return 0
    from .tasks import outbox_run_task

    handed = 0
    try:
        for job_id in job_ids:
            outbox_run_task.apply_async((job_id,), retry=False)
            handed += 1
    except Exception:
        if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "Could not hand %d outbox job(s) to the broker; the sweep retries them",
            len(job_ids) - handed,
            exc_info=True,
        )
    return handed


def _runnable(now: datetime.datetime) -> Q:
    """Jobs a worker may claim now: waiting and due, or running with a lease that ran out."""
    return Q(state=State.PENDING, next_attempt_at__lte=now) | Q(
        state=State.RUNNING, lease_until__lt=now
    )


def _due(now: datetime.datetime) -> Q:
    """Runnable jobs that are not sitting in the broker already (their publish lease passed)."""
    return _runnable(now) & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))


def sweep(*, now: datetime.datetime | None = None, batch_size: int = 1000) -> int:
    """Publishes every job that is due or abandoned (what beat runs every minute).

    Each job handed out gets a publish lease, so the next sweep does not hand it out again while
    it waits in the broker. An abandoned running job goes back to waiting: its old worker, if it
    still lives, can no longer mark it done (the claim changed). Returns how many it published.
    """
    now = now or timezone.now()
    published = 0
    while True:
        with transaction.atomic(durable=True):
            ids = list(
                OutboxJob.objects.filter(_due(now))
                .order_by("next_attempt_at", "pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:batch_size]
            )
            OutboxJob.objects.filter(pk__in=ids).update(
                state=State.PENDING, lease_until=now + publish_grace()
            )
        if not ids:
            break
        handed = publish(ids)
        published += handed
        if handed < len(ids) or len(ids) < batch_size:
            break
    purge_done(now=now)
    return published


def purge_done(*, now: datetime.datetime | None = None) -> int:
    """Forgets finished jobs after OUTBOX_KEEP_DONE_DAYS (their effects are recorded elsewhere)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=getattr(settings, "OUTBOX_KEEP_DONE_DAYS", 7))
    deleted, _ = OutboxJob.objects.filter(state=State.DONE, done_at__lt=cutoff).delete()
    return deleted


# --- running a job -------------------------------------------------------------------------


def _backoff(attempts: int) -> datetime.timedelta:
    return datetime.timedelta(
        seconds=min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    )


def run(job_id: int) -> str:
    """Claims and runs one job. Returns what happened: done, retry, failed, busy or gone."""
    now = timezone.now()
    job = OutboxJob.objects.filter(pk=job_id).only("kind", "attempts", "payload").first()
    if job is None:
        return "gone"
    claimed = (
        OutboxJob.objects.filter(pk=job_id)
        .filter(_runnable(now))
        .update(state=State.RUNNING, attempts=F("attempts") + 1, lease_until=now + lease())
    )
    if not claimed:
        return "busy"  # done already, backing off, or another worker holds it
    fence: int = OutboxJob.objects.values_list("attempts", flat=True).get(pk=job_id)
    kind = _kinds.get(job.kind)
    try:
        if kind is None:
            # A worker of an older release, during a rolling deploy: a newer one will take it.
            raise RetryLater(f"no handler for {job.kind!r} in this worker")
        if kind.atomic:
            with transaction.atomic(durable=True):
                kind.handler(job.payload)
                _finish(job_id, fence, kind)
        else:
            kind.handler(job.payload)
            _finish(job_id, fence, kind)
    except _LostLease:
        return "busy"
    except Exception as error:  # noqa: BLE001 - every failure is recorded and retried
        return _fail(job_id, fence, kind, job.payload, error)
    return "done"


class _LostLease(Exception):
    pass


def _finish(job_id: int, fence: int, kind: Kind) -> None:
    changes = {"state": State.DONE, "done_at": timezone.now(), "lease_until": None}
    if kind.forget_payload:
        changes["payload"] = {}
    finished = OutboxJob.objects.filter(pk=job_id, state=State.RUNNING, attempts=fence).update(
        last_error="", **changes
    )
    if not finished:
        # Our lease ran out and the job was handed to someone else: they finish it.
        raise _LostLease


def _fail(job_id: int, fence: int, kind: Kind | None, payload: dict, error: Exception) -> str:
    """Records a failed try: back off and try again, or give up after the kind's last attempt.
    A job that waits (RetryLater) tries again in BACKOFF_BASE_SECONDS and never gives up."""
    message = f"{type(error).__name__}: {error}"[:2000]
    now = timezone.now()
    mine = OutboxJob.objects.filter(pk=job_id, state=State.RUNNING, attempts=fence)
    if isinstance(error, RetryLater):
        logger.info("Outbox job %s waits: %s", job_id, message)
        updated = mine.update(
            state=State.PENDING,
            next_attempt_at=now + datetime.timedelta(seconds=BACKOFF_BASE_SECONDS),
            lease_until=None,
            last_error=message,
        )
        return "retry" if updated else "busy"
    assert kind is not None  # an unknown kind waits (RetryLater) above
    failures = (
        OutboxJob.objects.filter(pk=job_id).values_list("failures", flat=True).first() or 0
    ) + 1
    logger.warning("Outbox job %s failed (failure %s): %s", job_id, failures, message)
    with transaction.atomic(durable=True):
        if failures >= kind.max_attempts:
            if not mine.update(
                state=State.FAILED, failures=failures, lease_until=None, last_error=message
            ):
                return "busy"
            if kind.on_give_up:
                kind.on_give_up(payload, message)
            return "failed"
        updated = mine.update(
            state=State.PENDING,
            failures=failures,
            next_attempt_at=now + _backoff(failures),
            lease_until=None,
            last_error=message,
        )
    return "retry" if updated else "busy"


# --- staff and operators -------------------------------------------------------------------


def retry_now(job_ids: Iterable[int]) -> int:
    """Staff: run these waiting or given-up jobs again now, with a fresh count of failures."""
    with transaction.atomic(durable=True):
        ids = list(
            OutboxJob.objects.filter(pk__in=list(job_ids), state__in=[State.PENDING, State.FAILED])
            .select_for_update()
            .values_list("pk", flat=True)
        )
        OutboxJob.objects.filter(pk__in=ids).update(
            state=State.PENDING,
            failures=0,
            next_attempt_at=timezone.now(),
            lease_until=None,
        )
        transaction.on_commit(lambda: publish(ids))
    return len(ids)


def dismiss(job_ids: Iterable[int]) -> int:
    """Staff: close given-up jobs without running them (the work was done another way, or is no
    longer wanted, e.g. an expired sign-in link). The last error stays for the record."""
    return OutboxJob.objects.filter(pk__in=list(job_ids), state=State.FAILED).update(
        state=State.DONE, done_at=timezone.now()
    )


def drain(*, limit: int | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Runs every due job in this process, without a broker (cron installs, tests, recovery)."""
    done = 0
    while limit is None or done < limit:
        now = timezone.now()
        ids = list(
            OutboxJob.objects.filter(_runnable(now))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:100]
        )
        if not ids:
            break
        ran = 0
        for job_id in ids:
            if limit is not None and done >= limit:
                break
            if run(job_id) != "busy":
                ran += 1
            done += 1
            if progress:
                progress(done)
        if not ran:
            break
    return done


@dataclass(frozen=True)
class KindStatus:
    kind: str
    counts: dict[str, int]
    oldest_open_at: datetime.datetime | None


def status() -> list[KindStatus]:
    """Per kind: how many jobs are in each state, and since when the oldest open one waits."""
    rows = OutboxJob.objects.values("kind", "state").annotate(
        jobs=Count("pk"), oldest=Min("created_at")
    )
    by_kind: dict[str, KindStatus] = {}
    for row in rows:
        entry = by_kind.setdefault(row["kind"], KindStatus(row["kind"], {}, None))
        entry.counts[row["state"]] = row["jobs"]
        if row["state"] in (State.PENDING, State.RUNNING) and (
            entry.oldest_open_at is None or row["oldest"] < entry.oldest_open_at
        ):
            by_kind[row["kind"]] = KindStatus(entry.kind, entry.counts, row["oldest"])
    return [by_kind[kind] for kind in sorted(by_kind)]
