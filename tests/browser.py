"""Real headless Chromium (Debian's `chromium`) driven by Playwright, for end-to-end tests.

Tests using `page` skip with a reason where no browser is installed. Screenshots go to
`test-artifacts/screenshots/` (kept by CI as artefacts).
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


def browser_missing_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright)"
    return None


@pytest.fixture
def page(live_server, monkeypatch):
    reason = browser_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
        browser_page = context.new_page()
        browser_page.set_default_timeout(15_000)
        browser_page.base_url = live_server.url
        try:
            yield browser_page
        finally:
            context.close()
            browser.close()


def screenshot(browser_page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    browser_page.screenshot(path=str(path), full_page=True)
    return path


def admin_sign_in(browser_page, username: str = "beheer") -> None:
    """Signs a staff user (made with UserFactory's password) in to admin."""
    browser_page.goto(browser_page.base_url + "/admin/")
    browser_page.fill("#id_username", username)
    browser_page.fill("#id_password", "correct horse battery")
    browser_page.click("input[type=submit]")
    browser_page.wait_for_selector("#content h1")
