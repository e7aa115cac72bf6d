"""docs/privacy.md lists every table and column the erasure covers."""

import re
from pathlib import Path

from django.conf import settings

from core.personal_data import REGISTRY

DOCS = Path(settings.BASE_DIR) / "docs" / "privacy.md"


def test_the_docs_list_every_erased_table_and_column():
    rows = {}
    for line in DOCS.read_text().splitlines():
        match = re.match(r"\| `([a-z_]+\.[A-Za-z]+)` \| (.*?) \|", line)
        if match:
            rows[match.group(1)] = set(re.findall(r"`([a-z_]+)`", match.group(2)))
    missing = [
        (entry.label, field)
        for entry in REGISTRY
        for field in entry.fields
        if field not in rows.get(entry.label, set())
    ]
    assert missing == []
