"""The API docs (Swagger UI and Redoc) load everything from this server, as the README says."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

# The pages carry the shop's branding (its name and colours), read from the database.
pytestmark = pytest.mark.django_db


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        if tag == "script":
            if attrs.get("src"):
                self.urls.append(attrs["src"])
            elif not attrs.get("nonce"):
                self.inline_scripts += 1


def _resources(html: str) -> _Resources:
    parser = _Resources()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_load_nothing_from_elsewhere_and_no_unsigned_inline_script(path):
    response = Client().get(path)
    assert response.status_code == 200
    page = _resources(response.content.decode())
    assert page.urls, "the page loads its viewer"
    assert not [url for url in page.urls if re.match(r"^(https?:)?//", url)], page.urls
    assert "googleapis" not in response.content.decode()
    # the strict Content-Security-Policy runs an inline script only with the request's nonce
    assert page.inline_scripts == 0
    for url in page.urls:
        path_only = url.split("?")[0]
        if path_only.startswith("/static/"):
            assert finders.find(path_only.removeprefix("/static/")), url


def test_swagger_ui_gets_its_start_up_script_from_here_without_the_online_validator():
    response = Client().get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    script = response.content.decode()
    assert "/api/schema/" in script
    assert '"validatorUrl": null' in script
