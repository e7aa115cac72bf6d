import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from core.append_only import AppendOnlyError
from points.models import PointAccount, PointsEntry
from points.services import points_adjust
from tests.factories import MemberFactory, UserFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def test_ledger_entries_cannot_be_changed_or_deleted_through_the_orm(member, store):
    buy(member, store, "10.00")
    entry = PointsEntry.objects.get()
    entry.points = 1000
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        PointsEntry.objects.filter(pk=entry.pk).update(points=1000)
    with pytest.raises(AppendOnlyError):
        PointsEntry.objects.all().delete()
    assert PointsEntry.objects.get().points == 10


def test_the_database_refuses_to_rewrite_ledger_entries(member, store):
    buy(member, store, "10.00")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE points_pointsentry SET points = 1000")
    assert PointsEntry.objects.get().points == 10


def test_a_zero_points_entry_is_refused_by_the_database(member):
    account = PointAccount.objects.get(member=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.bulk_create(
            [PointsEntry(account=account, kind="adjustment", points=0, balance_after=0)]
        )


def test_a_staff_correction_is_a_new_entry_linked_to_what_it_corrects(member, store):
    staff = UserFactory()
    buy(member, store, "10.00")
    wrong = PointsEntry.objects.get()
    # when
    correction = points_adjust(
        member=member, points=-4, reason="Till counted a returned item", actor=staff, corrects=wrong
    )
    # then
    assert correction.corrects == wrong
    assert correction.staff_user == staff
    assert correction.balance_after == 6
    assert wrong.corrections.get() == correction
    assert member.staff_actions.get().action == "adjust_points"


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_staff_correction_needs_a_reason(member, reason):
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        points_adjust(member=member, points=5, reason=reason, actor=UserFactory())
    assert PointsEntry.objects.count() == 0


def test_a_staff_correction_cannot_take_the_balance_below_zero(member):
    from points.services import InsufficientPoints

    with pytest.raises(InsufficientPoints):
        points_adjust(member=member, points=-5, reason="oops", actor=UserFactory())


def test_check_ledger_passes_when_every_balance_matches(member, store, capsys):
    other = MemberFactory()
    buy(member, store, "10.00")
    buy(other, store, "20.00")
    call_command("check_ledger")
    assert "Ledgers OK (points, store credit)" in capsys.readouterr().out


def test_check_ledger_fails_and_names_a_tampered_balance(member, store, capsys):
    buy(member, store, "10.00")
    PointAccount.objects.filter(member=member).update(balance=999)
    with pytest.raises(CommandError):
        call_command("check_ledger")
    output = capsys.readouterr().out
    assert member.card_number in output
    assert "balance 999, entries add up to 10" in output


def test_check_ledger_notices_a_balance_without_entries(member):
    PointAccount.objects.filter(member=member).update(balance=5)
    with pytest.raises(CommandError):
        call_command("check_ledger")
