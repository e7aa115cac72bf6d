import pytest

from core.errors import IdempotencyConflict, InvalidInput
from core.idempotency import StoredAnswer, replay_or_run
from core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


def run(key, *, request_hash="h", work=None):
    return replay_or_run(
        client="store:1",
        key=key,
        scope="test",
        request_hash=request_hash,
        work=work or (lambda: StoredAnswer(201, str(IdempotencyRecord.objects.count()).encode())),
    )


def test_a_retry_replays_the_first_answer_without_running_the_work_again():
    # given
    first = run("k")
    # when
    again = run("k", work=lambda: pytest.fail("the work ran twice"))
    # then
    assert (first.answer, first.replayed) == (StoredAnswer(201, b"1"), False)
    assert (again.answer, again.replayed) == (StoredAnswer(201, b"1"), True)


def test_the_same_key_for_another_request_is_a_conflict():
    run("k")
    with pytest.raises(IdempotencyConflict):
        run("k", request_hash="other")


def test_a_failed_attempt_leaves_no_record_so_a_retry_runs_the_work():
    # given
    def fail():
        raise InvalidInput("no")

    with pytest.raises(InvalidInput):
        run("k", work=fail)
    # then
    assert IdempotencyRecord.objects.count() == 0
    assert run("k").replayed is False


def test_without_a_key_the_work_runs_every_time():
    assert run(None).replayed is False
    assert run(None).replayed is False
    assert IdempotencyRecord.objects.count() == 0
