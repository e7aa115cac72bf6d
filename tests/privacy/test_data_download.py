"""The member's data download covers everything held about them, documented field by field."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from .test_erasure import EMAIL, FIRST, PHONE, _member_who_used_everything, _memory_messages

pytestmark = pytest.mark.django_db
__all__ = ["_memory_messages"]  # the fixture, used by this module's tests too

DOCS = Path(settings.BASE_DIR) / "docs" / "privacy.md"


def key_paths(data: dict) -> set[str]:
    """`section.field` for every field of the download (list items' fields, nested once)."""
    paths = set()
    for section, value in data.items():
        paths.add(section)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                for key, inner in item.items():
                    paths.add(f"{section}.{key}")
                    for nested in inner if isinstance(inner, list) else [inner]:
                        if isinstance(nested, dict):
                            paths.update(f"{section}.{key}.{field}" for field in nested)
    return paths


@pytest.fixture
def download(client, store, django_capture_on_commit_callbacks) -> dict:
    _member_who_used_everything(client, store, django_capture_on_commit_callbacks)
    response = client.get(reverse("portal:export"))
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_download_holds_every_kind_of_data_about_the_member(download):
    text = json.dumps(download)
    # contact data, the texts sent to them, their words, their sign-ins
    for value in (EMAIL, PHONE, FIRST, "call me on"):
        assert value in text
    assert {message["channel"] for message in download["messages"]} == {"email", "sms", "whatsapp"}
    assert all(message["body"] for message in download["messages"])
    assert download["portal_account"]["username"].startswith("member-")
    assert download["sign_in_links"][0]["used_at"]
    assert len(download["purchases"]) == 2
    assert {reward["source"] for reward in download["rewards"]} == {"points", "campaign"}
    assert download["points"]["ledger"]
    assert download["member"]["members_referred"] == 1
    assert download["closure_requests"][0]["reason"].startswith("I am")
    assert [row["source"] for row in download["consent_history"]][:1] == ["portal"]


def test_every_field_of_the_download_is_documented(download):
    documented = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)*)`", DOCS.read_text()))
    assert sorted(key_paths(download) - documented) == []
