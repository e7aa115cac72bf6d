"""Two schedulers at once, and a run with no broker at all (issue #11).

Two beat schedulers (a second one started by mistake, or a deploy overlapping the old one) run
the outbox sweep and the hourly run at the same time: each due job is handed out once, and no
delivery or code is doubled. A run whose broker is unreachable finishes its work and leaves the
messages waiting in the outbox instead of crashing after its commit.
"""

import datetime
import math
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from campaigns.models import AutomationRun, Delivery, OutboundMessage
from campaigns.services.deliveries import JOB_DELIVERY, JOB_SEND_CHUNK, SEND_CHUNK
from core import outbox
from core.models import OutboxJob
from rewards.models import IssuedReward
from tests.markers import postgres_only

from .processes import (
    ROOT,
    free_port,
    needs_redis_server,
    production_env,
    report,
    run_manage,
    start_redis,
    stop,
    unique_queue,
)
from .test_worker_killed import dormant_members, reactivation_offer

JOBS = 600


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_hand_out_each_due_job_once():
    """Defends the row lock in `outbox.sweep()`: without it both sweeps read the same due rows
    and hundreds of jobs are handed out twice. (`skip_locked` is for liveness: a sweep takes
    other rows instead of waiting; a plain FOR UPDATE would be just as correct.)"""
    # given due jobs (their publish at commit went nowhere)
    with mock.patch.object(outbox, "publish", return_value=0), transaction.atomic():
        job_ids = outbox.enqueue_many(
            JOB_DELIVERY, ((f"twice:{n}", {"delivery": n}) for n in range(JOBS))
        )
    later = timezone.now() + datetime.timedelta(hours=1)  # every publish lease has run out
    handed_out: list[int] = []
    guard = threading.Lock()
    start_together = threading.Barrier(2)

    def publish(ids: list[int]) -> int:
        with guard:
            handed_out.extend(ids)
        return len(ids)

    def sweep() -> int:
        start_together.wait(timeout=10)
        try:
            return outbox.sweep(now=later, batch_size=20)
        finally:
            connection.close()  # each thread has its own connection

    # when two sweeps run at the same time, each on its own connection
    with (
        mock.patch.object(outbox, "publish", side_effect=publish),
        ThreadPoolExecutor(2) as pool,
    ):
        counts = [future.result(timeout=60) for future in [pool.submit(sweep) for _ in "ab"]]
    # then every due job was handed out exactly once
    assert len(handed_out) == JOBS, f"{len(handed_out) - len(set(handed_out))} handed out twice"
    assert sorted(handed_out) == sorted(job_ids)
    assert sum(counts) == JOBS
    assert OutboxJob.objects.filter(lease_until__gt=later).count() == JOBS


# `manage.py run_automations`, started at an agreed moment: Python and Django take a second or
# two to start, more on a busy machine, which would otherwise keep the two runs apart.
RUN_AT = """
import os, sys, time
import django
django.setup()
moment = float(sys.argv[1])
if time.time() > moment:
    print(f"started late by {time.time() - moment:.1f} s")
time.sleep(max(0.0, moment - time.time()))
from django.core.management import call_command
call_command("run_automations", "--batch-size", "10")
"""


def run_automations_at(env: dict, moment: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", RUN_AT, str(moment)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@postgres_only
@needs_redis_server
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_never_double_a_delivery_a_code_or_a_message(tmp_path):
    # given dormant members and a reactivation offer with a code
    members = dormant_members(150)
    reward, automation = reactivation_offer()
    port = free_port()
    env = production_env(
        broker_url=f"redis://127.0.0.1:{port}/0", queue=unique_queue(), email_dir=tmp_path
    )
    redis = start_redis(port, tmp_path)
    try:
        # when two schedulers start the hourly run at the same moment, as two processes
        moment = time.time() + 8
        runs = [run_automations_at(env, moment), run_automations_at(env, moment)]
        outputs = []
        for process in runs:
            output, _ = process.communicate(timeout=180)
            outputs.append(output)
            assert process.returncode == 0, output
            assert "started late" not in output, output
    finally:
        for process in runs:
            if process.poll() is None:
                process.kill()
                process.wait()
        stop(redis)
    # then the members were shared out between them, none twice
    # (the summary line of a run; progress lines are indented)
    summary = re.compile(r"^\S.*: (\d+) deliveries created$", re.MULTILINE)
    created = [sum(map(int, summary.findall(out))) for out in outputs]
    skipped = sum("another run is busy; skipped" in out for out in outputs)
    automation_runs = AutomationRun.objects.filter(automation=automation).order_by("started_at")
    windows = [
        f"{(run.finished_at - run.started_at).total_seconds():.2f} s"
        f" from +{(run.started_at - automation_runs[0].started_at).total_seconds():.3f} s"
        for run in automation_runs
    ]
    report(f"two runs at once: created {created}, {skipped} skipped (lock held), runs {windows}")
    assert sum(created) == len(members)
    # (they did overlap: the second found the first one's lock)
    assert sorted(automation_runs.values_list("skipped_lock_held", flat=True)) == [False, True]
    deliveries = Delivery.objects.filter(automation=automation)
    per_member = deliveries.values("member").annotate(n=Count("pk")).values_list("n", flat=True)
    assert sorted(per_member) == [1] * len(members)
    codes = IssuedReward.objects.filter(reward=reward).values("member").annotate(n=Count("pk"))
    assert sorted(row["n"] for row in codes) == [1] * len(members)
    sends = OutboxJob.objects.filter(kind=JOB_SEND_CHUNK)
    covered = [pk for job in sends for pk in job.payload["deliveries"]]
    assert sorted(covered) == sorted(deliveries.values_list("pk", flat=True))
    # and when their jobs run, each member gets one message
    outbox.drain()
    assert not deliveries.exclude(status="sent").exists()
    assert OutboundMessage.objects.filter(delivery__automation=automation).count() == len(members)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(m.email for m in members)


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_with_the_broker_unreachable_exits_cleanly_and_leaves_its_sends_waiting(tmp_path):
    # given dormant members, an offer, and a broker address where nothing listens
    members = dormant_members(120)
    _reward, automation = reactivation_offer()
    env = production_env(
        broker_url=f"redis://127.0.0.1:{free_port()}/0",
        queue=unique_queue(),
        email_dir=tmp_path,
    )
    # when the hourly run is started from cron
    started = time.monotonic()
    run = run_manage(env, "run_automations", timeout=120)
    # then it finishes its work and says so
    assert f"{len(members)} deliveries created" in run.stdout
    report(f"run with the broker unreachable: exit 0 in {time.monotonic() - started:.1f} s")
    deliveries = Delivery.objects.filter(automation=automation)
    assert deliveries.count() == len(members)
    assert not deliveries.filter(issued_reward__isnull=True).exists()
    assert set(deliveries.values_list("status", flat=True)) == {"pending"}
    # and its messages wait in the outbox for the sweep, nothing lost
    sends = OutboxJob.objects.filter(kind=JOB_SEND_CHUNK)
    assert sends.count() == math.ceil(len(members) / SEND_CHUNK)
    assert set(sends.values_list("state", flat=True)) == {OutboxJob.State.PENDING}
    assert sorted(pk for job in sends for pk in job.payload["deliveries"]) == sorted(
        deliveries.values_list("pk", flat=True)
    )
