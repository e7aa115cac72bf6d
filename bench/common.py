"""Shared set-up for the benchmark scripts: a separate PostgreSQL database, Django, results."""

import json
import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/loyalty_bench"


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)


def setup_django(*, settings: str = "loyalty_site.settings.local") -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url()
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()


def _psql(sql: str, database: str = "postgres") -> str:
    from urllib.parse import urlparse

    url = urlparse(database_url())
    return subprocess.run(
        [
            "psql",
            "-h",
            url.hostname or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "-d",
            database,
            "-tAc",
            sql,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def database_name() -> str:
    from urllib.parse import urlparse

    return urlparse(database_url()).path.lstrip("/")


def ensure_database(*, members: int, fresh: bool, seed: int = 42) -> None:
    """Creates, migrates and loads the bench database unless it already holds this data set."""
    name = database_name()
    exists = _psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"
    if exists and not fresh:
        try:
            loaded = _psql("SELECT value FROM bench_meta WHERE key = 'dataset'", name)
        except subprocess.CalledProcessError:
            loaded = ""
        if loaded == f"{members}:{seed}":
            print(f"Using the loaded data set in {name} ({members:,} members, seed {seed}).")
            setup_django()
            from django.core.management import call_command

            call_command("migrate", verbosity=0)  # the code may have moved on since the load
            return
    if exists:
        _psql(f'DROP DATABASE "{name}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{name}"')
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    print(f"Migrating {name} …")
    call_command("migrate", verbosity=0)
    print(f"Loading {members:,} members (seed {seed}) …")
    from bench import dataset

    dataset.load(members=members, seed=seed, progress=print)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value text)")
        cursor.execute("INSERT INTO bench_meta VALUES ('dataset', %s)", [f"{members}:{seed}"])


@contextmanager
def timed(label: str, figures: dict):
    started = time.perf_counter()
    yield
    figures[label] = round(time.perf_counter() - started, 3)
    print(f"  {label}: {figures[label]:.2f} s")


def write_results(name: str, payload: dict, markdown: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {
        "benchmark": name,
        "at": stamp,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        **payload,
    }
    json_path = RESULTS / f"{name}-{stamp}.json"
    json_path.write_text(json.dumps(payload, indent=2, default=str))
    (RESULTS / f"{name}-latest.md").write_text(markdown)
    (RESULTS / f"{name}-latest.json").write_text(json.dumps(payload, indent=2, default=str))
    print(f"Results: {json_path.relative_to(ROOT)} and bench/results/{name}-latest.md")
    return json_path
