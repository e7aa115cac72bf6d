"""The apps form layers; a module never imports from an app to its right (docs/architecture.md):

    core ← accounts ← points ← rewards ← campaigns ← insights ← {portal, backoffice} ← loyalty_site

A lower app that must tell a higher one something sends a signal or calls a registered hook.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = [
    {"core"},
    {"accounts"},
    {"points"},
    {"rewards"},
    {"campaigns"},
    {"insights"},
    {"portal", "backoffice"},  # side by side: neither imports the other
    {"loyalty_site"},
]
RANK = {app: rank for rank, layer in enumerate(LAYERS) for app in layer}


def imported_apps(path: Path) -> set[str]:
    """The project apps a module imports (at any depth in the file: deferred imports count)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in RANK)
    return found


def test_no_module_imports_from_an_app_to_its_right():
    wrong = [
        f"{path.relative_to(ROOT)} imports {other}"
        for app in RANK
        for path in sorted((ROOT / app).rglob("*.py"))
        for other in sorted(imported_apps(path))
        if other != app and RANK[other] >= RANK[app]
    ]
    assert wrong == []


def test_the_check_sees_a_wrong_import(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("def later():\n    from campaigns.models import Delivery\n")
    assert imported_apps(module) == {"campaigns"}
