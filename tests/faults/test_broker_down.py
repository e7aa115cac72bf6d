"""The broker stops while tills enrol members and record purchases (issue #11).

A real gunicorn with the production settings answers every write with 201 while Redis is down;
once Redis is back, a real worker with beat inside delivers every welcome and tier-reached
bonus and message exactly once, with nobody stepping in (the outbox sweep finds the jobs the broker never got).

Rerun at the scale of the issue (200 enrolments and 200 purchases):
    FAULT_BROKER_REQUESTS=200 DATABASE_URL=postgres://… pytest tests/faults/test_broker_down.py -s
"""

import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import Member
from accounts.services import api_key_create
from campaigns.models import Delivery, OutboundMessage
from core.models import OutboxJob
from points.models import PointsEntry
from points.services import points_adjust
from tests.factories import (
    AutomationFactory,
    MemberFactory,
    RewardFactory,
    StoreFactory,
    TierFactory,
    UserFactory,
)
from tests.markers import postgres_only

from .processes import (
    ROOT,
    fast_sweep,
    free_port,
    http_call,
    needs_redis_server,
    production_env,
    report,
    start_gunicorn,
    start_redis,
    start_worker,
    stop,
    tail,
    unique_queue,
    wait_until,
)

REQUESTS = int(os.environ.get("FAULT_BROKER_REQUESTS", "40"))  # enrolments, and as many purchases
CLIENTS = 8
DELIVERY_BOUND_SECONDS = 120
OPEN = [OutboxJob.State.PENDING, OutboxJob.State.RUNNING]


def collect_static(env: dict) -> None:
    """The production settings serve hashed static files (the portal's login page needs them)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


def portal_link_request(port: int, email: str) -> int:
    """What a member's browser does: load the sign-in page, then post the e-mail form."""
    status, headers, page = http_call(port, "GET", "/login/")
    assert status == 200, page[:500]
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("Set-Cookie", "")).group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    body = f"csrfmiddlewaretoken={token}&link-email={email}".encode()
    status, _, _ = http_call(
        port,
        "POST",
        "/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
        },
    )
    return status


def api_post(port: int, key: str, path: str, payload: dict, **headers: str) -> tuple[int, dict]:
    status, _, body = http_call(
        port,
        "POST",
        path,
        body=json.dumps(payload).encode(),
        headers={
            "Authorization": f"Api-Key {key}",
            "Content-Type": "application/json",
            **headers,
        },
    )
    try:
        return status, json.loads(body or b"{}")
    except ValueError:
        return status, {"raw": body[:300].decode(errors="replace")}


def mail_keys(email_dir: Path) -> tuple[Counter, str]:
    """How often each delivery's message was written (by its Message-ID, the same on every try),
    and all the text."""
    text = "\n".join(path.read_text(errors="replace") for path in sorted(email_dir.iterdir()))
    return Counter(re.findall(r"^Message-ID: <(delivery-\d+)@", text, re.MULTILINE)), text


@postgres_only
@needs_redis_server
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writes_answer_201_with_the_broker_down_and_everything_follows_once_it_is_back(
    tmp_path,
):
    # given a shop with a welcome bonus and a tier-reached bonus by e-mail (the two events the
    # issue found lost), members to buy and redeem, and a member who signs in on the portal
    store = StoreFactory()
    api_key = api_key_create(store=store, name="Till").raw_key
    welcome = AutomationFactory(
        trigger="welcome", days=None, reward=None, bonus_points=25, channel="email"
    )
    TierFactory(rank=1, threshold=0)
    silver = TierFactory(rank=2, threshold=20)  # a first purchase of 24.95 reaches it
    tier_reached = AutomationFactory(
        trigger="tier_reached",
        days=None,
        tier=silver,
        reward=None,
        bonus_points=50,
        channel="email",
    )
    buyers = [MemberFactory(email_consent_at=timezone.now()) for _ in range(REQUESTS)]
    saver = MemberFactory()
    points_adjust(member=saver, points=500, reason="fault test", actor=UserFactory())
    reward = RewardFactory(points_cost=100)
    portal_member = MemberFactory(email="portal-member@example.com")
    fast_sweep(every_seconds=2)
    email_dir = tmp_path / "mail"
    email_dir.mkdir()
    port, web_port = free_port(), free_port()
    env = production_env(
        broker_url=f"redis://127.0.0.1:{port}/0",
        queue=unique_queue(),
        email_dir=email_dir,
        OUTBOX_PUBLISH_GRACE_SECONDS="2",
        # As installs usually run: the same Redis is the cache too, and goes down with it.
        CACHE_URL=f"rediscache://127.0.0.1:{port}/1",
    )
    collect_static(env)
    redis = web = worker = None
    try:
        redis = start_redis(port, tmp_path)
        web = start_gunicorn(env, web_port, tmp_path / "gunicorn.log", workers=3)
        # when the broker stops
        stop(redis)
        # and 8 tills enrol members and record purchases, one redeems, a member asks for a link
        calls = [
            (
                "enrol",
                "/api/v1/members/",
                {
                    "email": f"fault-{index}@example.com",
                    "first_name": f"Fault{index}",
                    "consents": {"email": True},
                },
                {},
            )
            for index in range(REQUESTS)
        ] + [
            (
                "purchase",
                "/api/v1/purchases/",
                {
                    "transaction_id": f"FAULT-{index}",
                    "card_number": buyer.card_number,
                    "amount": "24.95",
                    "currency": "EUR",
                },
                {},
            )
            for index, buyer in enumerate(buyers)
        ]
        calls.append(
            (
                "redeem",
                f"/api/v1/members/{saver.card_number}/redemptions/",
                {"reward_id": reward.pk},
                {"Idempotency-Key": "fault-redeem-1"},
            )
        )
        random.Random(11).shuffle(calls)

        def call(item):
            what, path, payload, headers = item
            status, body = api_post(web_port, api_key, path, payload, **headers)
            return what, status, body

        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as clients:
            portal = clients.submit(portal_link_request, web_port, portal_member.email)
            answers = list(clients.map(call, calls))
            portal_status = portal.result()
        writing_seconds = time.monotonic() - started
        # then every write answered as if nothing were wrong
        statuses = Counter((what, status) for what, status, _ in answers)
        report(
            f"broker down: {len(answers) + 1} requests in {writing_seconds:.1f} s: "
            f"{dict(statuses)}, portal {portal_status}"
        )
        failures = [(what, status, body) for what, status, body in answers if status != 201]
        assert not failures, failures[:5]
        assert portal_status == 302
        cards = [body["card_number"] for what, _, body in answers if what == "enrol"]
        assert Member.objects.filter(card_number__in=cards).count() == REQUESTS
        assert Delivery.objects.filter(automation=welcome, status="pending").count() == REQUESTS
        assert Delivery.objects.filter(automation=tier_reached, status="pending").count() == (
            REQUESTS
        )

        # when the broker comes back and a worker with beat starts: nobody calls anything
        restarted = time.monotonic()
        redis = start_redis(port, tmp_path)
        worker = start_worker(env, tmp_path / "worker.log", concurrency=2)
        deliveries = Delivery.objects.all()

        def all_delivered() -> bool:
            return (
                deliveries.filter(status="sent").count() == 2 * REQUESTS
                and not OutboxJob.objects.filter(state__in=OPEN).exists()
                and any(
                    "login/link/" in path.read_text(errors="replace")
                    for path in email_dir.iterdir()
                )
            )

        try:
            wait_until(
                all_delivered, timeout=DELIVERY_BOUND_SECONDS, interval=0.5, what="deliveries"
            )
        except pytest.fail.Exception as error:
            pytest.fail(f"{error}\n{tail(tmp_path / 'worker.log', 80)}")
        delivered_seconds = time.monotonic() - restarted  # from the broker's restart
        report(f"broker back: everything delivered {delivered_seconds:.1f} s later")
    finally:
        stop(worker)
        stop(web)
        stop(redis)

    # then every welcome and every tier reached was fulfilled and told exactly once
    assert sorted(
        deliveries.filter(automation=welcome).values_list("member__card_number", flat=True)
    ) == sorted(cards)
    assert sorted(
        deliveries.filter(automation=tier_reached).values_list("member_id", flat=True)
    ) == sorted(buyer.pk for buyer in buyers)
    assert not deliveries.filter(status__in=["pending", "sending", "failed"]).exists()
    bonuses = Counter(
        PointsEntry.objects.filter(kind="bonus").values_list("account__member_id", "points")
    )
    assert bonuses == {
        **{
            (member_id, 25): 1
            for member_id in deliveries.filter(automation=welcome).values_list(
                "member_id", flat=True
            )
        },
        **{(buyer.pk, 50): 1 for buyer in buyers},
    }
    assert deliveries.filter(bonus_entry__isnull=True).count() == 0
    messages = OutboundMessage.objects.values("delivery").annotate(n=Count("pk"))
    assert sorted(row["n"] for row in messages) == [1] * (2 * REQUESTS)
    sent_keys, mail_text = mail_keys(email_dir)
    assert sent_keys == {f"delivery-{pk}": 1 for pk in deliveries.values_list("pk", flat=True)}
    # the sign-in link the member asked for while the broker was down arrived, once
    assert mail_text.count(f"To: {portal_member.email}") == 1
    assert len(re.findall(r"/login/link/[^/\s]+/", mail_text)) >= 1
    assert not OutboxJob.objects.filter(state__in=OPEN + [OutboxJob.State.FAILED]).exists()
    # and the ledgers add up
    call_command("check_ledger")
    report(
        "figures: "
        + ", ".join(
            f"{what} {status}: {count}"
            for (what, status), count in sorted(statuses.items(), key=lambda item: item[0])
        )
        + f"; delivered {delivered_seconds:.1f} s after the broker came back; "
        f"e-mails {sum(sent_keys.values())} for {deliveries.count()} deliveries"
    )
