"""The tables of error codes in the README and docs/api.md are the code's, and the schema's."""

import re
from pathlib import Path

from core.api_schema import ERROR_CODES
from tests.api.openapi import api_schema

ROOT = Path(__file__).resolve().parents[2]


def schema_codes() -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for operations in api_schema()["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                for part in schema.get("allOf", []):
                    for code in part.get("properties", {}).get("code", {}).get("enum", []):
                        found.setdefault(code, set()).add(int(status))
    return found


def test_every_code_the_schema_names_is_in_the_table_with_its_status():
    for code, statuses in schema_codes().items():
        assert code in ERROR_CODES, code
        assert statuses == {ERROR_CODES[code][0]}, (code, statuses)


def test_every_code_in_the_table_is_answered_by_some_operation():
    # These belong to no operation: 405 is what an address answers for a method it lacks;
    # bad_request is Django's own refusal before any view runs.
    assert set(ERROR_CODES) - set(schema_codes()) == {"method_not_allowed", "bad_request"}


def test_the_readme_table_lists_every_code_under_its_status():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| Status | Codes |") :].split("\n\n", 1)[0]
    listed = {
        code: int(status)
        for status, codes in re.findall(r"^\| (\d{3}) \| (.+) \|$", table, re.MULTILINE)
        for code in re.findall(r"`([a-z_]+)`", codes)
    }
    assert listed == {code: status for code, (status, _meaning) in ERROR_CODES.items()}


def test_the_api_docs_table_lists_every_code_with_its_meaning():
    docs = (ROOT / "docs" / "api.md").read_text()
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \| (.+) \|$", docs, re.MULTILINE)
    assert {code: (int(status), meaning) for code, status, meaning in rows} == ERROR_CODES
