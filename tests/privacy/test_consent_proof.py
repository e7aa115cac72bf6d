"""Proof of consent: when, how and by whom, as CSV for staff and in the member's download."""

import csv
import io
import json
import re

import pytest
from django.urls import reverse

from accounts.portal import portal_user_for
from accounts.services import member_consent_set, member_enrol
from loyalty_site import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def consenting_member(store):
    # enrolled at the till with e-mail consent, SMS granted on the portal, e-mail withdrawn
    # by staff on the phone
    member = member_enrol(
        email="proof@example.org", phone="+31611122233", first_name="Pim", consents={"email": True},
        store=store,
    )  # fmt: skip
    member_consent_set(member=member, channel="sms", is_granted=True, source="portal")
    staff = UserFactory(username="anja", role=roles.CASHIER)
    member_consent_set(
        member=member, channel="email", is_granted=False, source="staff", actor=staff,
        detail="Asked by phone",
    )  # fmt: skip
    return member


def _csv_rows(response) -> list[dict]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    # The Dutch download Excel opens: a byte-order mark, semicolons (core.csv_export).
    return list(csv.DictReader(io.StringIO(content.decode().removeprefix("\ufeff")), delimiter=";"))


def test_staff_download_the_consent_history_as_csv(client, consenting_member, store):
    client.force_login(UserFactory(role=roles.CASHIER))
    response = client.get(reverse("admin:accounts_member_consent_csv", args=[consenting_member.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert [
        (row["channel"], row["granted"], row["source"], row["store"], row["changed_by"])
        for row in rows
    ] == [
        ("email", "ja", "pos", store.name, f"Lid, bij {store.name}"),
        ("sms", "ja", "portal", "", "Lid"),
        ("email", "nee", "staff", "", "Medewerker: anja"),
    ]
    assert rows[2]["detail"] == "Asked by phone"
    # in the shop's time zone, as Dutch Excel reads a date: 29-11-2026 14:05
    assert re.fullmatch(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}", rows[0]["changed_at"])


def test_the_member_page_links_to_the_csv(client, consenting_member):
    client.force_login(UserFactory(role=roles.MANAGER))
    page = client.get(reverse("admin:accounts_member_change", args=[consenting_member.pk]))
    assert reverse("admin:accounts_member_consent_csv", args=[consenting_member.pk]) in (
        page.content.decode()
    )


def test_without_the_permission_the_csv_is_refused(client, consenting_member):
    client.force_login(UserFactory())  # staff without a role
    response = client.get(reverse("admin:accounts_member_consent_csv", args=[consenting_member.pk]))
    assert response.status_code == 403


def test_the_member_download_shows_the_same_proof(client, consenting_member):
    client.force_login(
        portal_user_for(consenting_member), backend="django.contrib.auth.backends.ModelBackend"
    )
    data = json.loads(client.get(reverse("portal:export")).content)
    history = data["consent_history"]
    assert [(row["channel"], row["granted"], row["source"]) for row in history] == [
        ("email", True, "pos"),
        ("sms", True, "portal"),
        ("email", False, "staff"),
    ]
    assert history[2]["changed_by"].endswith("anja")
