"""`manage.py import_members`: members of an existing programme, their balances and purchases."""

import csv
import datetime
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from accounts.cards import generate_card_number
from accounts.models import CardAlias, ConsentChange, Member
from accounts.services.erasure import member_erase
from core.api_schema import CARD_NUMBER_PATTERN
from core.errors import InvalidInput
from points.models import EntryKind, PointsEntry, Purchase
from points.selectors import ledger_mismatches, member_get_by_card
from tests.factories import MemberFactory, TierFactory

pytestmark = pytest.mark.django_db

FUTURE = (timezone.now() + datetime.timedelta(days=200)).replace(microsecond=0)
HEADER = (
    "external_id,card_number,email,phone,first_name,last_name,birth_date,language,store_code,"
    "enrolled_at,consent_email_at,consent_sms_at,consent_whatsapp_at,points_balance,"
    "points_expire_at,tier,tier_valid_until,referral_code"
)


def write_csv(path, rows, *, delimiter=",", bom=False):
    text = StringIO()
    writer = csv.DictWriter(text, fieldnames=HEADER.split(","), delimiter=delimiter)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    path.write_text(("\ufeff" if bom else "") + text.getvalue(), encoding="utf-8")
    return path


def run(path, *args):
    out, err = StringIO(), StringIO()
    with translation.override("en"):
        call_command("import_members", str(path), *args, stdout=out, stderr=err)
    return out.getvalue()


def ann(**extra):
    row = {
        "external_id": "L-1",
        "email": "Ann@Example.com",
        "phone": "0612345678",
        "first_name": "Ann",
        "last_name": "Jansen",
        "birth_date": "1990-04-01",
        "language": "en",
        "store_code": "AMS01",
        "enrolled_at": "2019-03-02T10:00:00+01:00",
        "consent_email_at": "2019-03-02T10:05:00+01:00",
        "points_balance": "1250",
        "points_expire_at": FUTURE.isoformat(),
    }
    return {**row, **extra}


def test_a_member_comes_in_with_balance_consents_and_store(tmp_path, store):
    output = run(write_csv(tmp_path / "members.csv", [ann()]))

    member = Member.objects.get(external_id="L-1")
    assert (member.email, member.phone, member.language) == (
        "ann@example.com",
        "+31612345678",
        "en",
    )
    assert member.enrolled_store == store
    assert member.enrolled_at == datetime.datetime(2019, 3, 2, 9, 0, tzinfo=datetime.UTC)
    assert member.referral_code
    assert len(member.card_number) == 11
    assert member.point_account.balance == 1250
    opening = PointsEntry.objects.get(account__member=member)
    assert (opening.kind, opening.points, opening.expires_at) == (EntryKind.OPENING, 1250, FUTURE)
    assert not opening.is_qualifying
    consent = ConsentChange.objects.get(member=member)
    assert (consent.channel, consent.source) == ("email", "import")
    assert consent.changed_at == member.email_consent_at
    assert consent.changed_at.year == 2019
    assert "created 1," in output
    assert list(ledger_mismatches()) == []


def test_running_the_same_file_twice_changes_nothing(tmp_path, store):
    path = write_csv(tmp_path / "members.csv", [ann(), ann(external_id="L-2", email="", phone="")])
    run(path)
    output = run(path)

    assert "created 0," in output
    assert "unchanged 2" in output
    assert Member.objects.count() == 2
    assert PointsEntry.objects.count() == 2
    assert ConsentChange.objects.count() == 2  # one e-mail consent each


def test_a_changed_row_updates_contact_data_but_not_the_balance(tmp_path, store):
    run(write_csv(tmp_path / "members.csv", [ann()]))
    output = run(
        write_csv(tmp_path / "members.csv", [ann(email="new@example.com", points_balance="9999")])
    )

    member = Member.objects.get(external_id="L-1")
    assert member.email == "new@example.com"
    assert member.point_account.balance == 1250
    assert PointsEntry.objects.count() == 1
    assert "updated 1," in output


def test_semicolons_a_bom_and_json_lines_are_read(tmp_path, store):
    run(write_csv(tmp_path / "a.csv", [ann()], delimiter=";", bom=True))
    lines = tmp_path / "b.jsonl"
    lines.write_text(json.dumps({"external_id": "L-2", "points_balance": 5}) + "\n")
    run(lines)

    assert Member.objects.get(external_id="L-1").email == "ann@example.com"
    assert Member.objects.get(external_id="L-2").point_account.balance == 5


def test_tier_and_its_valid_until_are_kept(tmp_path, store):
    gold = TierFactory(name_nl="Goud", name_en="Gold", rank=2, threshold=1000)
    run(write_csv(tmp_path / "m.csv", [ann(tier="gold", tier_valid_until=FUTURE.isoformat())]))

    account = Member.objects.get(external_id="L-1").point_account
    assert (account.tier, account.tier_valid_until) == (gold, FUTURE)


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ({"external_id": ""}, "external_id", "required"),
        ({"email": "not-an-address"}, "email", "valid e-mail"),
        ({"phone": "12"}, "phone", "valid phone"),
        ({"birth_date": "01-04-1990"}, "birth_date", "not a date"),
        ({"language": "fr"}, "language", "unknown language"),
        ({"store_code": "NOPE"}, "store_code", "unknown store"),
        ({"enrolled_at": "yesterday"}, "enrolled_at", "not a date and time"),
        ({"consent_sms_at": "2999-01-01"}, "consent_sms_at", "future"),
        ({"points_balance": "-5"}, "points_balance", "negative"),
        ({"points_balance": "1.5"}, "points_balance", "whole number"),
        ({"points_expire_at": "2001-01-01"}, "points_expire_at", "already past"),
        ({"tier": "Platinum"}, "tier", "unknown tier"),
        ({"card_number": "12345678"}, "card_number", "--keep-card-numbers"),
        ({"card_number": "4111111111111111"}, "card_number", "payment card"),
    ],
)
def test_a_bad_row_is_rejected_into_the_errors_file(tmp_path, store, row, field, reason):
    path = write_csv(tmp_path / "m.csv", [ann(external_id="L-0", email="", phone=""), ann(**row)])
    with pytest.raises(CommandError, match="1 row"):
        run(path)

    errors = list(csv.DictReader((tmp_path / "m.csv.errors.csv").open()))
    assert len(errors) == 1
    assert (errors[0]["line"], errors[0]["field"]) == ("3", field)
    assert reason in errors[0]["reason"]
    assert list(Member.objects.values_list("external_id", flat=True)) == ["L-0"]


def test_duplicates_within_the_file_and_with_members_are_rejected(tmp_path, store):
    MemberFactory(email="taken@example.com")
    rows = [
        ann(),
        ann(external_id="L-2", phone=""),
        ann(external_id="L-3", email="taken@example.com", phone=""),
    ]
    with pytest.raises(CommandError, match="2 row"):
        run(write_csv(tmp_path / "m.csv", rows))

    errors = list(csv.DictReader((tmp_path / "m.csv.errors.csv").open()))
    assert [(e["external_id"], e["field"]) for e in errors] == [("L-2", "email"), ("L-3", "email")]


def test_a_re_run_does_not_bring_back_an_erased_members_personal_data(tmp_path, store):
    # given a member imported from the old programme, then erased at their request
    run(write_csv(tmp_path / "first.csv", [ann()]))
    member = Member.objects.get(external_id="L-1")
    member_erase(member=member, actor=None, reason="request")

    # when the same file is imported again
    with pytest.raises(CommandError, match="1 row"):
        run(write_csv(tmp_path / "again.csv", [ann()]))

    # then the row is refused and the member stays erased
    member.refresh_from_db()
    assert (member.first_name, member.last_name, member.email, member.phone) == ("", "", None, None)
    errors = list(csv.DictReader((tmp_path / "again.csv.errors.csv").open()))
    assert [(e["external_id"], e["field"]) for e in errors] == [("L-1", "first_name")]
    assert "erased" in errors[0]["reason"]


def test_dry_run_writes_nothing(tmp_path, store):
    path = write_csv(tmp_path / "m.csv", [ann(), ann(external_id="L-2", language="fr")])
    with pytest.raises(CommandError):
        run(path, "--dry-run")

    assert Member.objects.count() == 0
    assert (tmp_path / "m.csv.errors.csv").exists()


def test_legacy_card_numbers_are_kept_and_found_at_the_till(tmp_path, store, pos):
    ours = generate_card_number()
    rows = [
        ann(card_number="1234-5678"),
        ann(external_id="L-2", email="", phone="", card_number=ours),
    ]
    run(write_csv(tmp_path / "m.csv", rows), "--keep-card-numbers")

    legacy = Member.objects.get(external_id="L-1")
    assert CardAlias.objects.get(number="12345678").member == legacy
    assert member_get_by_card("1234 5678") == legacy
    assert Member.objects.get(external_id="L-2").card_number == ours
    response = pos.get("/api/v1/members/12345678/")
    assert response.status_code == 200, response.json()
    assert response.json()["points_balance"] == 1250


def test_a_kept_legacy_card_is_one_the_api_documents_and_finds(tmp_path, store, pos):
    rows = [
        ann(card_number="AB-12 34"),
        ann(external_id="L-2", email="", phone="", card_number="AB#1234"),
    ]
    with pytest.raises(CommandError, match="1 row"):
        run(write_csv(tmp_path / "m.csv", rows), "--keep-card-numbers")

    errors = list(csv.DictReader((tmp_path / "m.csv.errors.csv").open()))
    assert [(e["external_id"], e["field"]) for e in errors] == [("L-2", "card_number")]
    assert "only letters and digits" in errors[0]["reason"]
    # what the till sends matches the documented pattern, and finds the member
    assert re.fullmatch(CARD_NUMBER_PATTERN, "AB-12 34")
    assert pos.get("/api/v1/members/AB-12%2034/").status_code == 200
    found = pos.get("/api/v1/members/lookup/", {"card_number": "AB1234"})
    assert found.json()["card_number"] == Member.objects.get(external_id="L-1").card_number


def test_a_mistyped_number_without_an_alias_is_still_refused():
    with pytest.raises(InvalidInput) as refused:
        member_get_by_card("12345678")
    assert refused.value.code == "invalid_card_number"


def test_historic_purchases_are_recorded_without_earning(tmp_path, store):
    run(write_csv(tmp_path / "m.csv", [ann()]))
    purchases = tmp_path / "p.csv"
    purchases.write_text(
        "external_id;store_code;transaction_id;occurred_at;amount\n"
        "L-1;AMS01;T-1;2020-01-05T12:00:00+01:00;24,95\n"
        "L-9;AMS01;T-2;2020-01-05T12:00:00+01:00;10.00\n"
    )
    with pytest.raises(CommandError, match="1 row"):
        run(write_csv(tmp_path / "m.csv", [ann()]), "--purchases", str(purchases))
    with pytest.raises(CommandError):
        run(tmp_path / "m.csv", "--purchases", str(purchases))

    purchase = Purchase.objects.get()
    assert (purchase.transaction_id, str(purchase.amount), purchase.points_earned) == (
        "T-1",
        "24.95",
        0,
    )
    assert PointsEntry.objects.count() == 1  # the opening balance only


def test_staff_find_a_member_by_a_legacy_card_number(tmp_path, store, client):
    from tests.factories import UserFactory

    run(write_csv(tmp_path / "m.csv", [ann(card_number="12345678")]), "--keep-card-numbers")
    client.force_login(UserFactory(role="Manager"))

    response = client.get("/admin/accounts/member/", {"q": "1234 5678"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert list(response.context["cl"].result_list)[0].external_id == "L-1"


def test_a_file_that_cannot_be_imported_at_all_stops_the_command(tmp_path):
    path = tmp_path / "leden.csv"
    path.write_text("naam,email\nAnn,ann@example.com\n", encoding="utf-8")
    with pytest.raises(CommandError, match="external_id"):
        run(path)
    assert Member.objects.count() == 0
