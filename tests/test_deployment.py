import os
import subprocess
import sys
from pathlib import Path

import pytest

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


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "loyalty_site.settings.production",
    "SECRET_KEY": "a-real-secret-" + "x7Gq!9vLm#2pRt$5wZk&8nYb^4cHj*6sFd" * 2,
    "ALLOWED_HOSTS": "loyalty.example.com",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.shop.test:587",
    "DEFAULT_FROM_EMAIL": "Klantenkaart <klantenkaart@shop.test>",
    "LOYALTY_PORTAL_URL": "https://loyalty.shop.test/",
}


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_email_url_configures_smtp_and_the_sender_comes_from_the_environment():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT,"
        " s.EMAIL_HOST_USER, s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL, sep='|')",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split("|") == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.shop.test",
        "587",
        "mailer",
        "True",
        "Klantenkaart <klantenkaart@shop.test>",
    ]


@pytest.mark.parametrize(
    ("env", "check_id", "says"),
    [
        ({"EMAIL_URL": ""}, "loyalty.W001", "writes mail to the console"),
        (
            {"EMAIL_URL": "", "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"},
            "loyalty.W001",
            "writes mail to files",
        ),
        ({"DEFAULT_FROM_EMAIL": ""}, "loyalty.W002", "loyalty@example.com"),
        ({"LOYALTY_PORTAL_URL": ""}, "loyalty.W003", "no link to the member portal"),
        ({"LOYALTY_PORTAL_URL": "http://loyalty.shop.test/"}, "loyalty.W004", "not an https://"),
        ({"LOYALTY_SITE_URL": "https://loyalty.shop.test/"}, "loyalty.W005", "is deprecated"),
    ],
)
def test_the_deploy_check_warns_when_members_would_get_no_mail_or_no_portal_link(
    env, check_id, says
):
    # An empty value here means "not set at all".
    settings_env = {key: value for key, value in {**PRODUCTION, **env}.items() if value}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **settings_env)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert check_id in output
    assert says in output


def test_the_former_site_url_setting_still_sets_the_address_of_the_links():
    # given only the deprecated name
    env = {key: value for key, value in PRODUCTION.items() if key != "LOYALTY_PORTAL_URL"}
    env["LOYALTY_SITE_URL"] = "https://old.shop.test/"
    # when
    result = run_manage(
        "shell",
        "-c",
        "from accounts.unsubscribe import unsubscribe_url; from django.conf import settings as s;"
        " print(s.LOYALTY_PORTAL_URL, unsubscribe_url(member_id=1, channel='sms'), sep='|')",
        **env,
    )
    # then both the portal link and the unsubscribe links use it
    assert result.returncode == 0, result.stderr
    portal, unsubscribe = result.stdout.strip().splitlines()[-1].split("|")
    assert portal == "https://old.shop.test/"
    assert unsubscribe.startswith("https://old.shop.test/unsubscribe/")


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
