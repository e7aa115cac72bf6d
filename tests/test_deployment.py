import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="loyalty_site.settings.production",
        SECRET_KEY="a-real-secret-" + "x7Gq!9vLm#2pRt$5wZk&8nYb^4cHj*6sFd" * 2,
        ALLOWED_HOSTS="loyalty.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="loyalty_site.settings.production",
        ALLOWED_HOSTS="loyalty.example.com",
        SECRET_KEY="",
    )
    assert result.returncode != 0


def test_the_openapi_schema_is_valid_and_complete(tmp_path):
    from django.core.management import call_command

    # --fail-on-warn: an endpoint whose schema cannot be derived fails here, not in a client.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert "/api/v1/purchases/{transaction_id}/refunds/" in (tmp_path / "s.yaml").read_text()
