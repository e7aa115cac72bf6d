"""Processes the fault tests start and stop themselves: Redis, Celery workers, gunicorn.

Every process is started in its own session (its own process group), so a test can stop, or
`kill -9`, exactly what it started, children included, and nothing else. The machine's shared
PostgreSQL and Redis are never touched: each test runs its own `redis-server` on a free port.
Every wait is bounded in time.
"""

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")

needs_redis_server = pytest.mark.skipif(
    REDIS_SERVER is None, reason="needs redis-server installed (each test starts its own)"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(
    condition: Callable[[], object], *, timeout: float, interval: float = 0.2, what: str = ""
) -> float:
    """Polls until `condition()` is true; returns the seconds it took, fails after `timeout`."""
    started = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            pytest.fail(f"gave up after {timeout:.0f} s waiting for {what or condition}")
        time.sleep(interval)


def database_url() -> str:
    """The pytest test database, for processes started by the test."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def production_env(*, broker_url: str, queue: str, email_dir: Path, **overrides: str) -> dict:
    """The environment of a production install pointed at the test database and our broker."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "loyalty_site.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_QUEUE": queue,
        "CACHE_URL": "locmemcache://faults",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(email_dir),
        "LOG_LEVEL": "WARNING",
    }
    env.update(overrides)
    return env


def unique_queue() -> str:
    return f"faults-{uuid.uuid4().hex[:10]}"


def _start(args: list[str], *, env: dict | None, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: we can kill it and its children
        )


def alive(process: subprocess.Popen) -> bool:
    """Whether the process still runs. Unlike `poll()` this leaves an exited one unreaped, so
    its id (which is also its process group's) cannot go to another process meanwhile."""
    if process.returncode is not None:
        return False
    exited = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    return exited is None


def stop(process: subprocess.Popen | None, *, timeout: float = 15) -> None:
    """Stops a process we started and its children (its process group), politely first."""
    if process is None or process.returncode is not None:
        return  # reaped already: its id may belong to someone else now, signal nothing
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(process)


def kill(process: subprocess.Popen) -> None:
    """`kill -9` of a process we started and all its children (its process group)."""
    if process.returncode is not None:
        return
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(port: int, log_dir: Path) -> subprocess.Popen:
    """Our own throwaway Redis: no persistence, loopback only."""
    process = _start(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        env=None,
        log=log_dir / f"redis-{port}.log",
    )
    wait_until(lambda: redis_answers(port), timeout=10, what=f"redis-server on port {port}")
    return process


def start_worker(
    env: dict, log: Path, *, concurrency: int = 2, beat: bool = True, pool: str = "prefork"
) -> subprocess.Popen:
    """A real Celery worker on the queue of `env`, with the database beat scheduler inside."""
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "loyalty_site",
        "worker",
        "-Q",
        env["CELERY_QUEUE"],
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ]
    if beat:
        schedule = log.parent / f"beat-{uuid.uuid4().hex[:6]}"
        args += [
            "-B",
            "--scheduler",
            "django_celery_beat.schedulers:DatabaseScheduler",
            "--schedule",
            str(schedule),
        ]
    return _start(args, env=env, log=log)


def run_manage(env: dict, *args: str, timeout: float) -> subprocess.CompletedProcess:
    """`manage.py <args>` in a process of its own with `env`; fails the test unless it exits 0."""
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def http_call(
    port: int, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to 127.0.0.1:port, redirects not followed: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def http_answers(port: int, path: str) -> bool:
    try:
        return http_call(port, "GET", path)[0] < 500
    except OSError:
        return False


def start_gunicorn(env: dict, port: int, log: Path, *, workers: int = 3) -> subprocess.Popen:
    process = _start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "loyalty_site.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
        ],
        env=env,
        log=log,
    )
    try:
        wait_until(
            lambda: alive(process) and http_answers(port, "/health/"),
            timeout=30,
            what="gunicorn to answer /health/",
        )
    except BaseException:
        stop(process)
        raise
    return process


def fast_sweep(every_seconds: int = 2) -> None:
    """Beat runs only the outbox sweep, every few seconds (instead of every minute); the other
    schedules are switched off so nothing else runs behind the test's back."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _ = IntervalSchedule.objects.get_or_create(
        every=every_seconds, period=IntervalSchedule.SECONDS
    )
    for task in PeriodicTask.objects.all():
        if task.task == "core.outbox_sweep":
            task.interval, task.enabled = interval, True
        else:
            task.enabled = False
        task.save()
    assert PeriodicTask.objects.filter(task="core.outbox_sweep", enabled=True).exists()


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path.name}: nothing written)"
    return f"--- {path.name} ---\n" + "\n".join(
        path.read_text(errors="replace").splitlines()[-lines:]
    )


def report(line: str) -> None:
    """The figures of a run, for the person running it (`pytest -s` shows them)."""
    sys.stderr.write(f"\n[faults] {line}\n")
