"""Schemathesis against a live server: every operation of the published schema, all checks.

Run by CI (`.ci/run`) and by hand: `.venv/bin/python -m tests.api.fuzz_live [--max-time 120]`.
Not part of `make test` (it takes minutes). It migrates a fresh SQLite database in a temporary
folder, creates a store, a key with every scope, members and rewards, starts the server on a
free port, and runs `schemathesis run` with every check, bounded by `--max-time`: the tills'
operations with the key, then the web shop's member routes (`/api/v1/me/…`) with a member
token of that key (for half that time again). Exits non-zero when any check of either failed.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

SETUP = """
from decimal import Decimal
from accounts.models import ApiScope
from accounts.member_tokens import member_token_issue
from accounts.services import api_key_create, member_enrol, store_create
from rewards.services import reward_issue
from django.db import transaction
from points.services import PurchaseRequest, points_adjust, purchase_record
from rewards.models import Reward
from django.contrib.auth.models import User
store = store_create(code="FUZZ", name="Fuzz")
actor = User.objects.create(username="fuzz")
for index in range(3):
    member = member_enrol(email=f"fuzz{index}@example.com", first_name="Fuzz", language="nl")
    points_adjust(member=member, points=500, reason="fuzz", actor=actor)
coffee = Reward.objects.create(name_nl="Koffie", name_en="Coffee", kind="free_product", sku="KOF",
                               value=Decimal("2.50"), points_cost=100, validity_days=30)
purchase_record(request=PurchaseRequest(store=store, member=member, transaction_id="FUZZ-1",
                                         amount=Decimal("500.00"), currency="EUR"))
new_key = api_key_create(store=store, name="Fuzz", scopes=ApiScope.values)
with transaction.atomic():
    code = reward_issue(member=member, reward=coffee, source="staff")
token = member_token_issue(member=member, api_key=new_key.api_key).token
print(member.card_number, new_key.raw_key, token, code.pk)
"""
MEMBER_ROUTES = "^/api/v1/me/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-time", type=int, default=120, help="seconds of fuzzing")
    parser.add_argument(
        "--seed", default="1", help="a fixed seed makes CI repeatable; another explores more"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "loyalty_site.settings.test",
            "DATABASE_URL": f"sqlite:///{folder}/fuzz.sqlite3",
            "POS_API_RATE": "100000/min",
            "MEMBER_API_RATE": "100000/min",
            "MEMBER_TOKEN_RATE": "100000/min",
            "MEMBER_TOKEN_SECONDS": "86400",
        }
        manage = [str(BIN / "python"), str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
        card_number, key, token, code_id = (
            subprocess.run(
                [*manage, "shell", "-c", SETUP], env=env, check=True, capture_output=True, text=True
            )
            .stdout.strip()
            .splitlines()[-1]
            .split()
        )
        # Path parameters point at data that exists (schemathesis.toml), so the operations get
        # past "not found" to their logic.
        env["FUZZ_CARD_NUMBER"] = card_number
        env["FUZZ_CODE_ID"] = code_id
        port = free_port()
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "loyalty_site.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "2",
                "--threads",
                "4",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/api/schema/", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)

            def fuzz(authorization: str, max_time: int, *operations: str) -> int:
                command = [
                    str(BIN / "schemathesis"),
                    "--config-file",
                    str(Path(__file__).with_name("schemathesis.toml")),
                    "run",
                    f"{base}/api/schema/",
                    "--url",
                    base,
                    "--checks",
                    "all",
                    "--header",
                    f"Authorization: {authorization}",
                    "--max-time",
                    str(max_time),
                    # One worker: CPython 3.11.7's AST constructor keeps one recursion counter
                    # per interpreter, so hypothesis parsing lambdas in two threads at once
                    # fails now and then with "AST constructor recursion depth mismatch"
                    # (python/cpython#106905).
                    "--workers",
                    "1",
                    "--suppress-health-check",
                    "all",
                    "--seed",
                    args.seed,
                    *operations,
                ]
                return subprocess.run(command, env=env, cwd=ROOT).returncode

            tills = fuzz(f"Api-Key {key}", args.max_time, "--exclude-path-regex", MEMBER_ROUTES)
            members = fuzz(
                f"Bearer {token}",
                max(10, args.max_time // 2),
                "--include-path-regex",
                MEMBER_ROUTES,
            )
            return tills or members
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
