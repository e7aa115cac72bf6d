"""Accessibility checks in the browser tests: axe-core (shipped inside axe-playwright-python,
so nothing is fetched at run time) and horizontal overflow at a narrow phone's width."""

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 360, "height": 740}

# What the issue asks for: no serious or critical violation (minor and moderate are reported
# by axe too, but are advice rather than barriers).
BLOCKING_IMPACTS = {"serious", "critical"}


def axe_problems(browser_page) -> list[str]:
    """The serious and critical axe-core violations of the page as shown now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(browser_page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def horizontal_overflow(browser_page) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    return browser_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
