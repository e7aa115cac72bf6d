"""The one CSV helper: Excel opens the file as a table, in Dutch and in English."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from core.csv_export import csv_response

MOMENT = datetime.datetime(2026, 3, 5, 13, 7, tzinfo=datetime.UTC)  # 14:07 in Amsterdam


def download(language: str, rows) -> str:
    with translation.override(language):
        response = csv_response(filename="x.csv", header=["Naam", "Bedrag (€)"], rows=rows)
    return b"".join(response.streaming_content).decode("utf-8")


def test_dutch_files_use_semicolons_decimal_commas_dutch_dates_and_a_bom():
    rows = [["Anna", Decimal("1234.50"), 3, MOMENT, MOMENT.date(), True, None]]
    content = download("nl", rows)
    assert content.startswith("\ufeffNaam;Bedrag (€)\r\n")
    assert content.splitlines()[1] == "Anna;1234,50;3;05-03-2026 14:07;05-03-2026;ja;"


def test_english_files_use_commas_decimal_points_and_iso_dates():
    rows = [["Anna", Decimal("1234.50"), 3, MOMENT, MOMENT.date(), False, None]]
    content = download("en", rows)
    assert content.startswith("\ufeffNaam,Bedrag (€)\r\n")
    assert content.splitlines()[1] == "Anna,1234.50,3,2026-03-05 14:07,2026-03-05,no,"


def test_text_with_the_separator_is_quoted_and_negative_amounts_stay_numbers():
    content = download("nl", [["de Vries; Jan", Decimal("-5.25")]])
    assert content.splitlines()[1] == '"de Vries; Jan";-5,25'


@pytest.mark.parametrize("text", ["=HYPERLINK(1)", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"])
def test_text_that_excel_would_run_as_a_formula_is_kept_as_text(text):
    assert download("nl", [[text, 1]]).splitlines()[1].startswith(f"'{text[:4]}")


def test_a_phone_number_is_not_mistaken_for_a_formula():
    assert download("nl", [["+31612345678", 1]]).splitlines()[1] == "+31612345678;1"


def test_the_file_is_utf8_so_excel_shows_the_euro_sign():
    with translation.override("nl"):
        response = csv_response(filename="x.csv", header=["€"], rows=[])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content) == "\ufeff€\r\n".encode()
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'


def test_every_csv_download_goes_through_the_one_helper():
    root = Path(__file__).resolve().parents[2]
    apps = ["core", "accounts", "points", "rewards", "campaigns", "insights", "portal"]
    apps += ["backoffice", "loyalty_site"]
    writers = [
        path.relative_to(root).as_posix()
        for app in apps
        for path in (root / app).rglob("*.py")
        if re.search(r"^(import csv|from csv import)\b", path.read_text(), re.MULTILINE)
    ]
    # The member import reads the shop's own files and writes its error file beside them (not a
    # download): the one other module that may speak CSV.
    assert sorted(writers) == ["core/csv_export.py", "points/services/imports.py"]
