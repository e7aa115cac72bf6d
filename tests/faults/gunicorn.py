"""gunicorn with the production settings, started and stopped by a fault test, and plain HTTP
requests to it (no client library between the test and the server)."""

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .support import database_url

ROOT = Path(__file__).resolve().parents[2]
CLIENT_TIMEOUT = 20.0  # a request still open after this long counts as hung


def request(port: int, method: str, path: str, *, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request(
            method, path, body=json.dumps(body) if body is not None else None, headers=headers or {}
        )
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def start_gunicorn(
    *, port: int, db_port: int, log_path: Path, extra_env: dict | None = None
) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))},
        # no DJANGO_SETTINGS_MODULE: the WSGI entry point must choose production by itself
        "SECRET_KEY": "fault-test-" + "k3Jd9!xQ2mZr7#vLp5@wN8tBy4&cHs6Fg" * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url(host="127.0.0.1", port=db_port),
        "CACHE_URL": "locmemcache://fault-test",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    log = log_path.open("w")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "loyalty_site.wsgi",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--threads=4",
            "--timeout=60",
            "--graceful-timeout=5",
            "--no-control-socket",  # one per user by default: another gunicorn may hold it
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_until_ready(port: int, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log_path.read_text()
        try:
            if request(port, "GET", "/health/ready/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail("gunicorn did not become ready:\n" + log_path.read_text())


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
