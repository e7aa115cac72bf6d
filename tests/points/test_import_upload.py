"""The member import uploaded by a manager in admin (issue #17, 1): stored, run as an outbox job
by the same service as `manage.py import_members`, its progress and result shown in admin."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import CardAlias, Member
from core import outbox
from core.models import OutboxJob
from loyalty_site import roles
from points.models import MemberImport, PointsEntry, Purchase
from points.services import import_runs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:points_memberimport_add")
HEADER = "external_id,email,first_name,store_code,points_balance,points_expire_at,card_number\n"
FUTURE = (timezone.now() + datetime.timedelta(days=200)).date().isoformat()


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.LOYALTY_IMPORT_DIR = tmp_path / "imports"
    return settings.LOYALTY_IMPORT_DIR


def members_csv(*rows: str, name: str = "leden.csv") -> SimpleUploadedFile:
    body = HEADER + "".join(row + "\n" for row in rows)
    return SimpleUploadedFile(name, body.encode("utf-8"), content_type="text/csv")


GOOD = (
    f"L-1,ann@example.com,Ann,AMS01,1250,{FUTURE},",
    f"L-2,bob@example.com,Bob,AMS01,300,{FUTURE},",
)
BAD = "L-3,not-an-address,Cas,AMS01,10,,"


def upload(client, *, mode="import", keep=False, members=None, purchases=None):
    data = {"members_file": members or members_csv(*GOOD), "mode": mode}
    if keep:
        data["keep_card_numbers"] = "on"
    if purchases is not None:
        data["purchases_file"] = purchases
    return client.post(UPLOAD, data)


@pytest.fixture
def manager(client):
    user = UserFactory(role=roles.MANAGER)
    client.force_login(user)
    return user


def test_the_manager_role_may_import_and_the_others_may_not():
    assert roles.has_permission(roles.MANAGER, "points.import_members")
    assert not roles.has_permission(roles.MARKETING, "points.import_members")
    assert not roles.has_permission(roles.CASHIER, "points.import_members")


@pytest.mark.parametrize("role", [roles.MARKETING, roles.CASHIER])
def test_marketing_and_cashiers_cannot_see_or_use_the_upload(client, store, role, import_dir):
    client.force_login(UserFactory(role=role))
    # they are refused the page, the list and the upload itself
    assert client.get(UPLOAD).status_code == 403
    assert client.get(reverse("admin:points_memberimport_changelist")).status_code == 403
    assert upload(client).status_code == 403
    assert (MemberImport.objects.count(), Member.objects.count()) == (0, 0)
    assert not import_dir.exists() or not any(import_dir.iterdir())


def test_others_cannot_open_a_managers_import_or_its_rejected_rows(client, manager, store):
    upload(client, members=members_csv(*GOOD, BAD))
    outbox.drain()
    record = MemberImport.objects.get()
    client.force_login(UserFactory(role=roles.CASHIER))
    page = reverse("admin:points_memberimport_change", args=[record.pk])
    errors = reverse("admin:points_memberimport_errors", args=[record.pk, "members"])
    assert client.get(page).status_code == 403
    assert client.get(errors).status_code == 403


def test_the_upload_page_is_in_dutch_and_english(client, manager):
    dutch = client.get(UPLOAD, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Leden importeren" in dutch
    assert "Proefrun" in dutch
    client.cookies["django_language"] = "en"
    english = client.get(UPLOAD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Import members" in english
    assert "Dry run" in english


def test_an_upload_is_queued_not_run_in_the_request(client, manager, store):
    # when a manager uploads
    response = upload(client)
    # then the page moves to the import's own page, and a job waits in the outbox
    record = MemberImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:points_memberimport_change", args=[record.pk])
    assert record.state == MemberImport.State.QUEUED
    assert record.rows_expected == 2
    assert OutboxJob.objects.filter(kind=import_runs.JOB_MEMBER_IMPORT).count() == 1
    assert Member.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page  # the page keeps itself up to date


def test_an_import_creates_the_members_and_shows_the_result(client, manager, store):
    upload(client)
    # when the job runs
    outbox.drain()
    # then the members are there with their opening balances, and the page says so
    record = MemberImport.objects.get()
    assert record.state == MemberImport.State.DONE
    assert set(Member.objects.values_list("external_id", flat=True)) == {"L-1", "L-2"}
    assert sum(PointsEntry.objects.values_list("points", flat=True)) == 1550
    assert record.totals["members"] == {
        "read": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "opening_points": 1550,
    }
    assert (record.rows_read, record.percent_done) == (2, 100)
    assert record.started_at
    assert record.finished_at
    page = client.get(reverse("admin:points_memberimport_change", args=[record.pk]))
    text = page.content.decode()
    assert "Klaar" in text
    assert "1550" in text or "1.550" in text
    assert 'http-equiv="refresh"' not in text
    listing = client.get(reverse("admin:points_memberimport_changelist"))
    assert listing.status_code == 200
    assert "leden.csv" in listing.content.decode()
    # the uploaded file is gone once read (it holds personal data)
    assert not import_runs.stored_file(record, "members").exists()


def test_a_dry_run_writes_nothing(client, manager, store):
    upload(client, mode="dry_run", members=members_csv(*GOOD, BAD))
    outbox.drain()
    record = MemberImport.objects.get()
    assert record.is_dry_run
    assert record.state == MemberImport.State.DONE
    assert (Member.objects.count(), PointsEntry.objects.count()) == (0, 0)
    assert record.totals["members"]["created"] == 2
    assert record.totals["members"]["rejected"] == 1
    text = client.get(reverse("admin:points_memberimport_change", args=[record.pk])).content
    assert "Zou worden aangemaakt" in text.decode()


def test_rejected_rows_can_be_downloaded_as_the_errors_csv(client, manager, store):
    upload(client, members=members_csv(*GOOD, BAD))
    outbox.drain()
    record = MemberImport.objects.get()
    assert record.rejected == 1
    assert Member.objects.count() == 2  # the good rows are imported
    page = client.get(reverse("admin:points_memberimport_change", args=[record.pk])).content
    url = reverse("admin:points_memberimport_errors", args=[record.pk, "members"])
    assert url in page.decode()
    # when the manager downloads the rejected rows
    response = client.get(url)
    # then they get a CSV Dutch Excel opens: BOM, semicolons, the line, id, field and reason
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffregel;external_id;veld;reden")
    lines = body.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("4;L-3;email;")


def test_a_file_without_rejections_has_no_download(client, manager, store):
    upload(client)
    outbox.drain()
    record = MemberImport.objects.get()
    url = reverse("admin:points_memberimport_errors", args=[record.pk, "members"])
    assert client.get(url).status_code == 404
    other = reverse("admin:points_memberimport_errors", args=[record.pk, "secrets"])
    assert client.get(other).status_code == 404


def test_progress_is_recorded_after_every_batch(client, manager, store, monkeypatch):
    from points.services import imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    seen = []
    original = imports.members_import_batch

    def watch(*args, **kwargs):
        seen.append(MemberImport.objects.values_list("rows_read", "state", "stage").get())
        return original(*args, **kwargs)

    monkeypatch.setattr(imports, "members_import_batch", watch)
    monkeypatch.setattr(imports, "batches", lambda rows, size=1: _one_by_one(rows))
    upload(client)
    outbox.drain()
    # before each batch the page could show how far the run got
    assert seen == [(0, "running", "members"), (1, "running", "members")]
    assert MemberImport.objects.get().rows_read == 2


def _one_by_one(rows):
    for row in rows:
        yield [row]


def test_legacy_card_numbers_are_kept_when_asked(client, manager, store):
    legacy = f"L-9,eve@example.com,Eve,AMS01,5,{FUTURE},12345678"
    upload(client, keep=True, members=members_csv(legacy))
    outbox.drain()
    assert CardAlias.objects.get().number == "12345678"


def test_past_purchases_come_in_with_their_own_counts(client, manager, store):
    purchases = SimpleUploadedFile(
        "aankopen.csv",
        b"external_id,store_code,transaction_id,occurred_at,amount\n"
        b'L-1,AMS01,OLD-1,2026-01-05T10:00:00+01:00,"24,95"\n',
    )
    upload(client, purchases=purchases)
    outbox.drain()
    record = MemberImport.objects.get()
    assert record.totals["purchases"]["created"] == 1
    assert Purchase.objects.get().points_earned == 0


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "leeg.csv", "leeg"),
        (b"naam,email\nAnn,ann@example.com\n", "leden.csv", "external_id"),
        ("external_id\nL-1\n".encode("utf-16"), "leden.csv", "UTF-8"),
        (b"[1, 2]\n", "leden.jsonl", "external_id"),
        (b"{not json\n", "leden.jsonl", "JSON"),
    ],
    ids=["empty", "no_external_id", "utf16", "json_array", "broken_json"],
)
def test_a_bad_file_is_a_form_error_and_records_nothing(
    client, manager, store, import_dir, content, name, message
):
    response = upload(client, members=SimpleUploadedFile(name, content))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "members_file" in errors
    assert message in " ".join(errors["members_file"])
    assert MemberImport.objects.count() == 0
    assert OutboxJob.objects.count() == 0
    assert not import_dir.exists() or not any(import_dir.iterdir())


def test_no_file_at_all_is_a_form_error(client, manager):
    response = client.post(UPLOAD, {"mode": "import"})
    assert response.status_code == 200
    assert "members_file" in response.context["form"].errors


def test_a_bad_purchases_file_is_a_form_error_too(client, manager, store):
    response = upload(client, purchases=SimpleUploadedFile("p.csv", b"\xff\xfe\x00"))
    assert "purchases_file" in response.context["form"].errors
    assert MemberImport.objects.count() == 0


def test_a_second_delivery_of_the_job_does_not_run_it_again(client, manager, store):
    upload(client)
    record = MemberImport.objects.get()
    # given a run in progress (its heartbeat is fresh)
    MemberImport.objects.filter(pk=record.pk).update(state="running", progress_at=timezone.now())
    # when the job is delivered again, it leaves the run alone
    assert import_runs.member_import_run(import_id=record.pk) == "not claimed"
    assert Member.objects.count() == 0
    # and a run whose worker died (no progress for longer than the lease) is taken over
    stale = timezone.now() - outbox.lease() - datetime.timedelta(seconds=1)
    MemberImport.objects.filter(pk=record.pk).update(progress_at=stale)
    assert import_runs.member_import_run(import_id=record.pk) == "done"
    assert Member.objects.count() == 2
    # a finished import is never run again
    assert import_runs.member_import_run(import_id=record.pk) == "not claimed"


def test_a_run_that_fails_says_why_on_its_page(client, manager, store, monkeypatch):
    upload(client)
    record = MemberImport.objects.get()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(import_runs, "import_file", broken)
    outbox.drain()
    record.refresh_from_db()
    assert (record.state, record.error) == ("failed", "disk full")
    page = client.get(reverse("admin:points_memberimport_change", args=[record.pk]))
    assert "disk full" in page.content.decode()


def test_the_command_and_the_upload_run_one_import_service():
    from points.management.commands import import_members

    assert import_members.import_file is import_runs.import_file
