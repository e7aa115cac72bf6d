"""Production entry points default to the production settings; manage.py stays local.

Each case imports the entry point in a fresh interpreter with no DJANGO_SETTINGS_MODULE, as
`gunicorn loyalty_site.wsgi` or `celery -A loyalty_site worker` would on a server.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_KEY = "a-real-secret-" + "x7Gq!9vLm#2pRt$5wZk&8nYb^4cHj*6sFd" * 2

ENTRY_POINTS = {
    "wsgi": "import loyalty_site.wsgi",
    "asgi": "import loyalty_site.asgi",
    # what `celery -A loyalty_site worker` does first: import the app, then set Django up
    "celery": "from loyalty_site import celery_app; celery_app.loader.import_default_modules()",
}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key not in {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_entry_point_defaults_to_the_production_settings(entry_point):
    # given no settings module, a real key and a host
    code = ENTRY_POINTS[entry_point] + (
        "\nfrom django.conf import settings"
        "\nprint(settings.SETTINGS_MODULE, settings.DEBUG, settings.SECURE_SSL_REDIRECT)"
    )
    # when the entry point is imported
    result = run_python(code, SECRET_KEY=REAL_KEY, ALLOWED_HOSTS="loyalty.example.com")
    # then it runs with the production settings
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["loyalty_site.settings.production", "False", "True"]


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize(
    "secret_key", [None, "", "insecure-development-key-change-me"], ids=["unset", "empty", "dev"]
)
def test_entry_point_refuses_to_start_without_a_real_secret_key(entry_point, secret_key):
    # given no settings module and no key, an empty one or the development key
    env = {"ALLOWED_HOSTS": "loyalty.example.com"}
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    # when the entry point is imported
    result = run_python(ENTRY_POINTS[entry_point], **env)
    # then it refuses to start, saying why
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_manage_py_stays_on_the_local_settings():
    # given no settings module and no key
    # when a management command runs
    result = run_python(
        "import sys; sys.argv = ['manage.py', 'diffsettings', '--output', 'unified'];"
        " import manage; manage.main()"
    )
    # then it uses the local settings (DEBUG on, the development key)
    assert result.returncode == 0, result.stderr
    assert "+ DEBUG = True" in result.stdout
    assert "### SETTINGS_MODULE" not in result.stdout
