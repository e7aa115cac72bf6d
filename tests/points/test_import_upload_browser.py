"""The member import upload in a real browser: a manager uploads, sees progress, then the result."""

import datetime

import pytest
from django.utils import timezone

from core import outbox
from loyalty_site import roles
from points.models import MemberImport
from tests.browser import admin_sign_in, screenshot
from tests.factories import StoreFactory, UserFactory

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_manager_uploads_a_member_file_and_sees_the_result(page, settings, tmp_path):
    settings.LOYALTY_IMPORT_DIR = tmp_path / "imports"
    StoreFactory(code="AMS01", name="Amsterdam Centrum")
    UserFactory(username="beheer", role=roles.MANAGER)
    future = (timezone.now() + datetime.timedelta(days=200)).date().isoformat()
    members = tmp_path / "leden.csv"
    members.write_text(
        "external_id;email;first_name;store_code;points_balance;points_expire_at\n"
        f"L-1;ann@example.com;Ann;AMS01;1250;{future}\n"
        f"L-2;bob@example.com;Bob;AMS01;300;{future}\n"
        "L-3;geen-adres;Cas;AMS01;10;\n",
        encoding="utf-8",
    )
    page.set_viewport_size(DESKTOP)
    admin_sign_in(page)
    # the upload page
    page.goto(page.base_url + "/admin/points/memberimport/add/")
    assert page.locator("h1").inner_text() == "Leden importeren"
    page.set_input_files("#id_members_file", str(members))
    page.check("#id_mode_1")  # import, not a dry run
    page.check("#id_keep_card_numbers")
    screenshot(page, "admin-member-import-upload")
    page.click("input[type=submit]")
    # the import's page: here the job runs at once (Celery is eager in tests); in production the
    # page shows the progress bar and refreshes itself until a worker has finished
    page.wait_for_selector("#import-progress")
    outbox.drain()
    page.reload()
    page.wait_for_selector("text=Klaar")
    assert MemberImport.objects.get().state == "done"
    assert "Afgewezen regels downloaden (CSV)" in page.content()
    screenshot(page, "admin-member-import-result")
    page.set_viewport_size(PHONE)
    screenshot(page, "admin-member-import-result-phone")
    # the rejected rows download
    with page.expect_download() as download:
        page.click("text=Afgewezen regels downloaden (CSV)")
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("\ufeffregel;external_id;veld;reden")
    assert "L-3" in text
