"""Every CSV export of the KPI dashboard opens in Excel: Dutch and English separators, a BOM."""

import pytest
from django.urls import reverse

from backoffice.kpis.tables import EXPORTS
from loyalty_site import roles
from tests.factories import StoreFactory, UserFactory

from .helpers import member_on, points, purchase

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2025-03-01", "end": "2025-03-31"}


@pytest.fixture
def history(programme, refreshed):
    shop = StoreFactory(code="AMS01")
    anna = member_on("2025-01-01", store=shop)
    purchase(anna, shop, "2025-03-05", amount="24.95")
    points(anna, "earn", 150, "2025-03-05")
    refreshed()


def export(client, figure: str, language: str) -> tuple[object, list[str]]:
    client.force_login(UserFactory(role=roles.MANAGER))
    client.cookies["django_language"] = language
    response = client.get(reverse("admin:insights_kpirefresh_export", args=[figure]), PERIOD)
    content = b"".join(response.streaming_content).decode("utf-8")
    return response, content.splitlines()


@pytest.mark.parametrize("figure", sorted(EXPORTS))
def test_each_kpi_export_in_dutch_uses_semicolons_decimal_commas_and_a_bom(client, history, figure):
    response, lines = export(client, figure, "nl")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith(f'kpi-{figure}-20250301-20250331.csv"')
    assert lines[0].startswith("\ufeff")
    assert ";" in lines[0] or len(lines[0].split(",")) == 1  # one column needs no separator
    assert "," not in lines[0].replace(", ", "")  # no English separators in the header
    for line in lines[1:]:
        assert "." not in line.replace("'", "")  # decimal commas; dates as 31-03-2025


@pytest.mark.parametrize("figure", sorted(EXPORTS))
def test_each_kpi_export_in_english_uses_commas_and_decimal_points(client, history, figure):
    response, lines = export(client, figure, "en")
    assert response.status_code == 200
    assert lines[0].startswith("\ufeff")
    assert ";" not in "".join(lines)


def test_the_points_export_writes_money_and_dates_as_dutch_excel_reads_them(client, history):
    _response, lines = export(client, "points", "nl")
    first = lines[1].split(";")
    assert first[0] == "01-03-2025"  # period from
    assert "," in first[-1]  # the liability, e.g. 7,50
