"""Run by tests/faults/test_replica.py in a process of its own, configured with
DATABASE_URL (a primary the test made) and DATABASE_REPLICA_URL (its streaming replica).

It migrates the primary, waits for the replica, pauses the replica's replay so the two differ
on purpose, writes on the primary, and prints (as JSON) what each kind of read saw: reporting
reads come from the replica, reads that must see a just-made write come from the primary.
"""

import json
import time
import uuid
from decimal import Decimal

import django


def wait_for(condition, *, timeout: float = 60.0) -> None:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise SystemExit(f"gave up waiting for {condition}")
        time.sleep(0.1)


def main() -> None:
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connections, transaction
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from accounts.portal import portal_user_for
    from accounts.services import member_enrol, store_create
    from core.replica import PIN_COOKIE, pinned_to_primary, replica_reads, reporting_db
    from points.models import PointsEntry
    from points.services import points_adjust
    from rewards.models import Reward

    setup_test_environment()
    call_command("migrate", verbosity=0)
    store = store_create(code="R1", name="Replica")
    staff = User.objects.create_superuser("boss", "boss@example.com", "pw-replica-test")
    member = member_enrol(email="replica@example.com", first_name="Rita", language="nl")
    points_adjust(member=member, points=500, reason="start", actor=staff)
    reward = Reward.objects.create(
        name_nl="Koffie",
        name_en="Coffee",
        kind="free_product",
        sku="KOF",
        value=Decimal("2.50"),
        points_cost=100,
        validity_days=30,
    )
    entries = PointsEntry.objects.filter(account__member=member)

    def replica_sees(count: int):
        return lambda: entries.using("replica").count() == count

    wait_for(replica_sees(entries.count()))
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    wait_for(lambda: _replay_paused(connections["replica"]))

    results: dict[str, object] = {"store": store.code}
    # A browser without the pin cookie: its history is read from the (paused) replica.
    other_tab = Client()
    other_tab.force_login(portal_user_for(member))
    before = other_tab.get(reverse("portal:history"))
    results["history_before"] = before.context["page"].paginator.count

    # The member redeems: a write on the primary, and the answer pins this browser.
    browser = Client()
    browser.force_login(portal_user_for(member))
    redeemed = browser.post(
        reverse("portal:reward-redeem", args=[reward.pk]),
        {"idempotency_key": str(uuid.uuid4())},
    )
    results["redeem_status"] = redeemed.status_code
    results["pin_cookie"] = PIN_COOKIE in redeemed.cookies
    after = browser.get(reverse("portal:history"))
    results["history_after_own_write"] = after.context["page"].paginator.count
    results["history_other_browser"] = (
        other_tab.get(reverse("portal:history")).context["page"].paginator.count
    )
    results["primary_entries"] = entries.count()

    with replica_reads():
        results["reporting_db"] = reporting_db()
        results["replica_read"] = entries.count()
        with pinned_to_primary():
            results["pinned_read"] = entries.count()
        with transaction.atomic():
            results["read_in_transaction"] = entries.count()

    staff_browser = Client()
    staff_browser.force_login(staff)
    dashboard = staff_browser.get(reverse("admin:insights_kpirefresh_changelist"))
    results["dashboard_status"] = dashboard.status_code

    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    wait_for(replica_sees(results["primary_entries"]))
    with replica_reads():
        results["replica_read_after_resume"] = entries.count()
    print(json.dumps(results))  # noqa: T201  (read by the test)


def _replay_paused(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_wal_replay_pause_state()")
        return cursor.fetchone()[0] == "paused"


if __name__ == "__main__":
    main()
