import pytest

from loyalty_site.demo import DEMO_PASSWORD, load_demo_data
from tests.browser import SCREENSHOTS, screenshot


def screenshot_path(name: str):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_manager_opens_the_kpi_dashboard_with_demo_data_in_a_real_browser(page):
    # given: the demo programme (its loader also builds the KPI summaries)
    load_demo_data(members=40)
    # when: the demo manager signs in and opens the dashboard from the admin index
    page.goto(page.base_url + "/admin/")
    page.fill("#id_username", "manager")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.click("a[href='/admin/insights/kpirefresh/']")
    page.wait_for_selector(".kpi-tiles")
    # then: every figure has its chart (with a title for screen readers) and its table
    charts = page.locator("svg.kpi-chart[role=img]")
    # uplift: three (the demo holdout is large enough); liability; CSAT; attitude x behaviour
    assert charts.count() == 15
    assert page.locator("svg.kpi-chart title").first.text_content()
    assert page.locator(".kpi-section table").count() >= 10
    assert page.locator(".kpi-tile .value").first.inner_text() not in ("", "–")
    screenshot(page, "kpi-dashboard")
    # and the reactivation's uplift over its holdout, with numbers, in Dutch formats
    uplift = page.locator("#uplift")
    assert "Reactivatie na 60 dagen" in uplift.inner_text()
    assert "Nog niet genoeg leden" not in uplift.locator("table").first.inner_text()
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        uplift.scroll_into_view_if_needed()
        uplift.screenshot(path=str(screenshot_path(f"kpi-uplift-{width}")))
    # and the member figures can be downloaded
    with page.expect_download() as download:
        page.click("#activity a[download]")
    assert download.value.suggested_filename.startswith("kpi-activity-")
