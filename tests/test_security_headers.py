"""Every page answers with the strict Content-Security-Policy (tests/test_browser_csp.py shows
that the pages still work under it)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        reverse("portal:login"),
        reverse("admin:login"),
        reverse("api-docs"),
        reverse("api-redoc"),
    ],
)
def test_pages_forbid_inline_scripts_and_other_sites(client, path):
    response = client.get(path)
    assert response.status_code == 200
    directives = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"].split()[0] == "'self'"
    assert all(
        source == "'self'" or source.startswith("'nonce-")
        for source in directives["script-src"].split()
    )
    assert "unsafe" not in response["Content-Security-Policy"]
    assert directives["object-src"] == directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_inline_blocks_carry_the_requests_nonce(client):
    response = client.get(reverse("api-docs"))
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    page = response.content.decode()
    assert page.count("<script") - page.count("<script src") == page.count(
        f'<script nonce="{nonce}">'
    )
    assert f'<style nonce="{nonce}">' in page
