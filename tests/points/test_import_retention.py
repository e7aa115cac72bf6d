"""Member import files hold personal data: the nightly purge deletes them after
LOYALTY_IMPORT_RETENTION_DAYS, and the import's page then says so instead of offering a link."""

import pytest
from django.urls import reverse

from campaigns.services import personal_data_purge
from core import outbox
from loyalty_site import roles
from points.models import MemberImport
from points.services import import_runs
from tests.factories import UserFactory
from tests.helpers import days_ago
from tests.points.test_import_upload import BAD, GOOD, members_csv, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.LOYALTY_IMPORT_DIR = tmp_path / "imports"
    settings.LOYALTY_IMPORT_RETENTION_DAYS = 30
    return settings.LOYALTY_IMPORT_DIR


@pytest.fixture
def manager(client):
    client.force_login(UserFactory(role=roles.MANAGER))


def _import_with_rejections(client, *, age_days: float) -> MemberImport:
    upload(client, members=members_csv(*GOOD, BAD))
    outbox.drain()
    record = MemberImport.objects.latest("pk")
    MemberImport.objects.filter(pk=record.pk).update(created_at=days_ago(age_days))
    record.refresh_from_db()
    assert record.rejected == 1
    return record


def _errors_file(record: MemberImport):
    return import_runs.import_directory(record) / "members.data.errors.csv"


def test_the_nightly_purge_deletes_import_files_past_the_retention_and_keeps_newer(
    client, manager, store
):
    # given an import uploaded 31 days ago, one 29 days ago and one still running since 40 days
    old = _import_with_rejections(client, age_days=31)
    new = _import_with_rejections(client, age_days=29)
    running = _import_with_rejections(client, age_days=40)
    MemberImport.objects.filter(pk=running.pk).update(state=MemberImport.State.RUNNING)
    assert _errors_file(old).exists()
    assert _errors_file(new).exists()
    # when the nightly purge runs
    counts = personal_data_purge()
    # then only the old finished import lost its folder, and its record says so
    assert counts["import_files"] == 1
    assert not import_runs.import_directory(old).exists()
    assert _errors_file(new).exists()
    assert _errors_file(running).exists()
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.files_removed_at is not None
    assert new.files_removed_at is None
    # and a second run finds nothing more to do
    assert personal_data_purge()["import_files"] == 0


def test_a_retention_of_zero_keeps_import_files(client, manager, store, settings):
    kept = _import_with_rejections(client, age_days=400)
    settings.LOYALTY_IMPORT_RETENTION_DAYS = 0
    assert "import_files" not in personal_data_purge()
    assert _errors_file(kept).exists()
    # while the default 30 days removes the same import
    settings.LOYALTY_IMPORT_RETENTION_DAYS = 30
    assert personal_data_purge()["import_files"] == 1
    assert not _errors_file(kept).exists()


@pytest.mark.parametrize(
    ("language", "removed"),
    [("en", "The rejected rows' file was removed"), ("nl", "Het bestand met afgewezen regels")],
)
def test_the_page_of_a_purged_import_says_removed_and_offers_no_link(
    client, manager, store, language, removed
):
    record = _import_with_rejections(client, age_days=31)
    page = reverse("admin:points_memberimport_change", args=[record.pk])
    download = reverse("admin:points_memberimport_errors", args=[record.pk, "members"])
    personal_data_purge()
    client.cookies["django_language"] = language
    text = client.get(page, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert removed in text
    assert download not in text


def test_downloading_the_rejected_rows_of_a_purged_import_is_not_found(client, manager, store):
    record = _import_with_rejections(client, age_days=31)
    download = reverse("admin:points_memberimport_errors", args=[record.pk, "members"])
    assert client.get(download).status_code == 200
    personal_data_purge()
    assert client.get(download).status_code == 404
