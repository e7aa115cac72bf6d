"""The transactional outbox: jobs commit with their cause, run once, survive a broker outage."""

import datetime
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from core import outbox
from core.models import OutboxJob
from loyalty_site import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CALLS: list[dict] = []


@outbox.handler("tests.record")
def record(payload: dict) -> None:
    CALLS.append(payload)
    if payload.get("fail"):
        raise ValueError(payload["fail"])


@outbox.handler("tests.secret", forget_payload=True)
def secret(payload: dict) -> None:
    CALLS.append(payload)


@outbox.handler(
    "tests.gives_up", max_attempts=2, on_give_up=lambda p, e: CALLS.append({"gave_up": e})
)
def gives_up(payload: dict) -> None:
    raise ValueError("always")


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def job(key: str) -> OutboxJob:
    return OutboxJob.objects.get(dedup_key=key)


def later(seconds: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(seconds=seconds)


def test_a_job_commits_with_its_cause_and_runs_after_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue("tests.record", {"n": 1}, key="k1")
        assert CALLS == []  # nothing runs before the commit
    assert CALLS == [{"n": 1}]
    assert job("k1").state == "done"


def test_a_job_whose_cause_rolled_back_does_not_exist():
    def change_that_fails():
        with transaction.atomic():
            outbox.enqueue("tests.record", {"n": 1}, key="k1")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not OutboxJob.objects.filter(dedup_key="k1").exists()


def test_the_same_key_is_queued_once():
    with transaction.atomic():
        first = outbox.enqueue_many("tests.record", [("k1", {"n": 1}), ("k1", {"n": 2})])
        again = outbox.enqueue_many("tests.record", [("k1", {"n": 3})])
    assert (len(first), again) == (1, [])
    assert OutboxJob.objects.get().payload == {"n": 1}


def test_enqueue_refuses_to_run_outside_a_transaction_and_unknown_kinds():
    with transaction.atomic(), pytest.raises(LookupError):
        outbox.enqueue("tests.nobody_handles_this", {}, key="k")
    with mock.patch("core.outbox.connection.get_autocommit", return_value=True):
        with pytest.raises(RuntimeError, match="inside the transaction"):
            outbox.enqueue("tests.record", {}, key="k")


def test_a_broker_that_is_down_loses_nothing_and_raises_nothing(
    django_capture_on_commit_callbacks, caplog
):
    # given a broker that refuses connections
    with (
        mock.patch(
            "core.tasks.outbox_run_task.apply_async", side_effect=OperationalError("refused")
        ),
        mock.patch.object(outbox, "_broker_paused_until", 0.0),
        mock.patch("core.outbox.settings.CELERY_TASK_ALWAYS_EAGER", False),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        # when a change commits with its job
        outbox.enqueue("tests.record", {"n": 1}, key="k1")
    # then the commit stands, the job waits, and the failure is logged
    assert job("k1").state == "pending"
    assert "sweep retries" in caplog.text
    # and once the publish lease has passed, the sweep hands it out (the broker is back)
    with mock.patch("core.outbox.timezone.now", return_value=later(61)):
        assert outbox.sweep() == 1
    assert CALLS == [{"n": 1}]
    assert job("k1").state == "done"


def test_after_a_failed_publish_the_process_stops_trying_for_a_while():
    with (
        mock.patch(
            "core.tasks.outbox_run_task.apply_async", side_effect=OperationalError("refused")
        ) as publish,
        mock.patch.object(outbox, "_broker_paused_until", 0.0),
        mock.patch("core.outbox.settings.CELERY_TASK_ALWAYS_EAGER", False),
    ):
        assert outbox.publish([1, 2]) == 0
        assert outbox.publish([3]) == 0
    assert publish.call_count == 1  # no connect timeout per request while it is down


def test_the_sweep_leaves_a_freshly_published_job_alone_and_hands_out_an_abandoned_one():
    with transaction.atomic():
        outbox.enqueue("tests.record", {"n": 1}, key="fresh")
    with mock.patch("core.tasks.outbox_run_task.apply_async") as publish:
        assert outbox.sweep() == 0  # still within its publish lease: it sits in the broker
        # a worker claimed it and died: running, with a lease that ran out
        OutboxJob.objects.update(state="running", lease_until=later(-1), attempts=1)
        assert outbox.sweep() == 1
    publish.assert_called_once_with((job("fresh").pk,), retry=False)
    assert job("fresh").state == "pending"


def test_a_job_runs_once_however_often_its_message_arrives():
    with transaction.atomic():
        outbox.enqueue("tests.record", {"n": 1}, key="k1")
    pk = job("k1").pk
    assert [outbox.run(pk), outbox.run(pk)] == ["done", "busy"]
    assert CALLS == [{"n": 1}]


def test_a_running_job_is_not_taken_by_a_second_worker_while_its_lease_runs():
    with transaction.atomic():
        outbox.enqueue("tests.record", {"n": 1}, key="k1")
    OutboxJob.objects.update(state="running", lease_until=later(60), attempts=1)
    assert outbox.run(job("k1").pk) == "busy"
    assert CALLS == []


@outbox.handler("tests.taken_over")
def taken_over(payload: dict) -> None:
    # the work of this (slow) worker: a row written in the job's transaction
    OutboxJob.objects.create(kind="tests.record", dedup_key="side-effect")
    # meanwhile its lease ran out and another worker claimed the job
    OutboxJob.objects.filter(dedup_key=payload["key"]).update(attempts=9)


def test_a_worker_whose_lease_ran_out_cannot_finish_and_its_work_is_rolled_back():
    with transaction.atomic():
        outbox.enqueue("tests.taken_over", {"key": "k1"}, key="k1")
    assert outbox.run(job("k1").pk) == "busy"
    assert job("k1").state == "running"  # left to the worker that holds it now
    assert not OutboxJob.objects.filter(dedup_key="side-effect").exists()


def test_failures_back_off_then_give_up_and_staff_can_retry():
    with transaction.atomic():
        outbox.enqueue("tests.gives_up", {}, key="k1")
    pk = job("k1").pk
    assert outbox.run(pk) == "retry"
    waiting = job("k1")
    assert waiting.state == "pending"
    assert "ValueError: always" in waiting.last_error
    assert waiting.next_attempt_at > later(25)  # backoff: not before 30 s
    assert outbox.run(pk) == "busy"  # a stray message during the backoff does nothing
    OutboxJob.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
    assert outbox.run(pk) == "failed"
    assert CALLS == [{"gave_up": "ValueError: always"}]
    with mock.patch("core.tasks.outbox_run_task.apply_async"):
        assert outbox.retry_now([pk]) == 1
    assert (job("k1").state, job("k1").failures) == ("pending", 0)
    assert job("k1").attempts == 2  # the fencing count never goes back


@outbox.handler("tests.waits", max_attempts=2)
def waits(payload: dict) -> None:
    if payload.get("busy"):
        raise outbox.RetryLater("someone else holds it")
    raise ValueError("broken")


def test_waiting_is_not_failing_and_never_gives_up():
    with transaction.atomic():
        outbox.enqueue("tests.waits", {"busy": True}, key="k1")
    pk = job("k1").pk
    for _try in range(4):
        OutboxJob.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
        assert outbox.run(pk) == "retry"
    assert (job("k1").state, job("k1").failures, job("k1").attempts) == ("pending", 0, 4)
    # and a real failure after all that waiting still gets its full number of tries
    OutboxJob.objects.filter(pk=pk).update(payload={}, next_attempt_at=timezone.now())
    assert outbox.run(pk) == "retry"


def test_a_job_of_a_kind_this_worker_does_not_know_waits_for_one_that_does():
    # (a rolling deploy: a newer release queued it, an older worker picked it up)
    OutboxJob.objects.create(kind="tests.from_a_newer_release", dedup_key="k1")
    assert outbox.run(job("k1").pk) == "retry"
    assert (job("k1").state, job("k1").failures) == ("pending", 0)
    assert "no handler" in job("k1").last_error


def test_staff_dismiss_given_up_jobs_without_running_them(capsys):
    with transaction.atomic():
        outbox.enqueue("tests.record", {"fail": "expired link"}, key="k1")
        outbox.enqueue("tests.record", {"n": 2}, key="k2")
    OutboxJob.objects.filter(dedup_key="k1").update(state="failed", last_error="gave up")
    call_command("outbox", "dismiss")
    assert (job("k1").state, job("k1").last_error) == ("done", "gave up")
    assert job("k2").state == "pending"  # only given-up jobs are dismissed
    assert CALLS == []


def test_a_payload_holding_a_secret_is_forgotten_when_done():
    with transaction.atomic():
        outbox.enqueue("tests.secret", {"link": "https://shop/login/SECRET"}, key="k1")
    assert outbox.run(job("k1").pk) == "done"
    assert job("k1").payload == {}


def test_drain_runs_due_jobs_in_process_and_old_done_jobs_are_forgotten():
    with transaction.atomic():
        outbox.enqueue_many("tests.record", [(f"k{n}", {"n": n}) for n in range(3)])
    assert outbox.drain() == 3
    assert sorted(call["n"] for call in CALLS) == [0, 1, 2]
    OutboxJob.objects.filter(dedup_key="k0").update(
        done_at=timezone.now() - datetime.timedelta(days=8)
    )
    assert outbox.purge_done() == 1
    assert OutboxJob.objects.count() == 2


def test_the_command_reports_status_and_fails_when_jobs_gave_up(capsys):
    with transaction.atomic():
        outbox.enqueue("tests.record", {"n": 1}, key="k1")
        outbox.enqueue("tests.record", {"fail": "boom"}, key="k2")
    call_command("outbox", "drain")
    OutboxJob.objects.filter(dedup_key="k2").update(state="failed")
    with pytest.raises(Exception, match="gave up"):
        call_command("outbox", "status")
    out = capsys.readouterr().out
    assert "tests.record" in out
    with mock.patch("core.tasks.outbox_run_task.apply_async"):
        call_command("outbox", "retry", "--failed")
    assert job("k2").state == "pending"


def test_managers_see_background_jobs_and_retry_them_in_admin(client):
    with transaction.atomic():
        outbox.enqueue("tests.record", {"fail": "SMTP down"}, key="k1")
    outbox.run(job("k1").pk)
    OutboxJob.objects.update(state="failed")
    client.force_login(UserFactory(role=roles.MANAGER))
    url = reverse("admin:core_outboxjob_changelist")
    page = client.get(url + "?state__exact=failed").content.decode()
    assert "SMTP down" in page
    with mock.patch("core.tasks.outbox_run_task.apply_async"):
        client.post(url, {"action": "retry_now", "_selected_action": [job("k1").pk]})
    assert job("k1").state == "pending"


def test_marketing_cannot_see_background_jobs(client):
    client.force_login(UserFactory(role=roles.MARKETING))
    assert client.get(reverse("admin:core_outboxjob_changelist")).status_code == 403


def test_managers_never_see_a_secret_payload_in_admin(client):
    # given a sign-in link job that could not be sent yet (it keeps its payload until done)
    with transaction.atomic():
        outbox.enqueue("tests.secret", {"link": "https://shop/login/SECRET"}, key="k1")
    client.force_login(UserFactory(role=roles.MANAGER))
    # when a manager opens it in admin
    page = client.get(reverse("admin:core_outboxjob_change", args=[job("k1").pk]))
    # then the page shows the job but not the link: it would sign them in as the member
    assert page.status_code == 200
    assert "k1" in page.content.decode()
    assert "SECRET" not in page.content.decode()
