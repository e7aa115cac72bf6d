"""The failed-code-check budget is reserved before codes are evaluated: no request, and no set
of parallel requests, evaluates more codes than the budget has left (per member, per key)."""

import os
import uuid

import pytest
from django.test import override_settings

from rewards import guessing
from tests.concurrency import run_in_parallel
from tests.factories import MemberFactory, RewardFactory, StoreFactory
from tests.helpers import issue, pos_client_for
from tests.markers import postgres_only


def unknown_codes(start: int, count: int) -> list[str]:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return [
        "".join(letters[(n // 24**i) % 24] for i in range(12))
        for n in range(start * 7919 + 1, start * 7919 + 1 + count)
    ]


def check(client, member, codes):
    return client.post(
        "/api/v1/checkout/validate/",
        {"card_number": member.card_number, "amount": "10.00", "codes": codes},
        format="json",
    )


@pytest.mark.django_db
def test_after_nine_misses_a_request_with_ten_codes_evaluates_none(pos, member):
    # given nine misses
    for index in range(9):
        assert check(pos, member, unknown_codes(index, 1)).status_code == 200
    # when one request brings ten more codes, one of them the member's own
    own = issue(member, RewardFactory()).code
    response = check(pos, member, [own, *unknown_codes(50, 9)])
    # then it is refused whole: none of its codes were looked at
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_failed_code_checks"
    # and the one check left still works for a single code
    assert check(pos, member, [own]).json()["codes"][0]["status"] == "applied"


@pytest.mark.django_db
def test_found_codes_do_not_use_up_the_budget(pos, member):
    own = issue(member, RewardFactory()).code
    for _ in range(15):
        assert check(pos, member, [own]).status_code == 200


@pytest.mark.django_db
def test_the_key_budget_holds_across_members(pos, settings):
    # given a key that checks codes for many members, never more than 9 misses each
    members = [MemberFactory() for _ in range(6)]
    answered = 0
    for index, member in enumerate(members):
        response = check(pos, member, unknown_codes(index, 9))
        answered += 9 if response.status_code == 200 else 0
    # then the key stops at its own limit (50): five members' nine, not the sixth
    assert answered == 45
    assert check(pos, members[5], unknown_codes(99, 5)).status_code == 200
    assert check(pos, members[5], unknown_codes(98, 1)).status_code == 429


REDIS = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def shared_cache():
    """The cache of production: Redis, where each thread has a connection of its own, as
    separate processes would."""
    cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS,
        "KEY_PREFIX": f"budget-test-{uuid.uuid4().hex}",
    }
    with override_settings(CACHES={"default": cache}):
        yield


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("requests", "codes_each"), [(10, 10), (40, 1)])
def test_parallel_checks_never_evaluate_more_than_the_member_budget(
    shared_cache, requests, codes_each
):
    # given one member and many tills
    store, member = StoreFactory(), MemberFactory()
    clients = [pos_client_for(store) for _ in range(requests)]
    # when they all check unknown codes at the same instant
    responses = run_in_parallel(
        lambda i: check(clients[i], member, unknown_codes(i, codes_each)), requests
    )
    # then at most the member's budget of codes was evaluated, and the rest refused whole
    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {200, 429}, statuses
    evaluated = sum(codes_each for status in statuses if status == 200)
    assert evaluated <= guessing.MEMBER_LIMIT
    assert evaluated >= guessing.MEMBER_LIMIT - codes_each + 1  # the budget was used, not lost


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_checks_never_evaluate_more_than_the_key_budget(shared_cache):
    # given one till key and many members, each within their own budget
    store = StoreFactory()
    members = [MemberFactory() for _ in range(12)]
    client = pos_client_for(store)
    # when the key checks 5 unknown codes for each of 12 members at once (60 > 50)
    responses = run_in_parallel(lambda i: check(client, members[i], unknown_codes(i, 5)), 12)
    # then the key's budget held
    evaluated = sum(5 for response in responses if response.status_code == 200)
    assert evaluated <= guessing.KEY_LIMIT
