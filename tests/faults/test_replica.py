"""A real streaming replica: reporting reads come from it, reads that must see a write just
made stay on the primary (core/replica.py).

The test makes its own primary (`initdb`, on a free port) and copies it into a streaming replica
with `pg_basebackup`; the shared server is never touched. A scenario in a process of its own
(tests/faults/replica_scenario.py) pauses the replica's replay, so a read that came from the
replica is told apart from one that came from the primary by what it sees.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.markers import postgres_only

from .clusters import make_primary, make_replica, needs_cluster_tools, server_folder

ROOT = Path(__file__).resolve().parents[2]


@postgres_only
@needs_cluster_tools
def test_reporting_reads_come_from_the_replica_and_fresh_writes_are_read_from_the_primary():
    # given a primary with a streaming replica, and the app configured with both
    folder = server_folder("replica-test-")
    primary = replica = None
    try:
        primary = make_primary(folder)
        primary.psql("CREATE DATABASE loyalty")
        replica = make_replica(primary, folder)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))},
            "DJANGO_SETTINGS_MODULE": "loyalty_site.settings.test",
            "DATABASE_URL": f"{primary.url}/loyalty",
            "DATABASE_REPLICA_URL": f"{replica.url}/loyalty",
        }
        # when the scenario runs (replay paused on the replica before the member redeems)
        run = subprocess.run(
            [sys.executable, "-m", "tests.faults.replica_scenario"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        for cluster in (replica, primary):
            if cluster is not None:
                cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    assert run.returncode == 0, run.stderr[-4000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])

    # then reporting reads went to the replica, which had not seen the redemption
    assert seen["reporting_db"] == "replica"
    assert seen["redeem_status"] == 302
    assert seen["replica_read"] < seen["primary_entries"]
    # a read pinned to the primary, or inside a transaction, saw it
    assert seen["pinned_read"] == seen["primary_entries"]
    assert seen["read_in_transaction"] == seen["primary_entries"]
    # the member who redeemed sees it in their history at once (the answer pinned the browser);
    # another browser, reading the paused replica, does not yet
    assert seen["pin_cookie"] is True
    assert seen["history_after_own_write"] > seen["history_before"]
    assert seen["history_other_browser"] == seen["history_before"]
    # the dashboard renders from the replica
    assert seen["dashboard_status"] == 200
    # and once replay resumes, the replica catches up
    assert seen["replica_read_after_resume"] == seen["primary_entries"]
