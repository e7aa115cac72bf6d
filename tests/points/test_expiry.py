import datetime

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from points.models import LoyaltyProgram, PointAccount, PointsEntry
from points.selectors import member_summary_get
from points.services import account_lock, points_expire_due, points_spend
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def spend(member, points):
    with transaction.atomic():
        points_spend(account_lock(member.pk), points=points, kind="redemption")


def months_later(months: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=31 * months)


def test_unspent_points_expire_first_in_first_out(member, store):
    # given 100 points earned 80 days ago and 50 today, with 24 months of validity
    buy(member, store, "100.00", occurred_at=timezone.now() - datetime.timedelta(days=80))
    buy(member, store, "50.00")
    spend(member, 30)  # taken from the oldest 100
    # when the oldest points pass their date (but not the newest)
    run = points_expire_due(now=months_later(24) - datetime.timedelta(days=40))
    # then 70 of the first 100 expire, the 50 stay
    assert (run.accounts, run.points) == (1, 70)
    account = PointAccount.objects.get(member=member)
    assert account.balance == 50
    assert PointsEntry.objects.get(kind="expiry").points == -70


def test_points_spent_before_the_date_do_not_expire(member, store):
    buy(member, store, "100.00")
    spend(member, 100)
    run = points_expire_due(now=months_later(25))
    assert run.points == 0
    assert not PointsEntry.objects.filter(kind="expiry").exists()


def test_running_expiry_twice_expires_nothing_more(member, store):
    buy(member, store, "100.00")
    later = months_later(25)
    points_expire_due(now=later)
    second = points_expire_due(now=later + datetime.timedelta(hours=1))
    assert second.points == 0
    assert PointAccount.objects.get(member=member).balance == 0
    call_command("check_ledger")


def test_points_never_expire_when_the_programme_says_so(member, store):
    program = LoyaltyProgram.current()
    program.points_expire_after_months = 0
    program.save()
    buy(member, store, "100.00")
    assert PointsEntry.objects.get().expires_at is None
    assert points_expire_due(now=months_later(60)).points == 0


def test_the_summary_shows_points_expiring_in_the_next_30_days(member, store):
    # given points earned 23 months and 3 weeks ago would expire within 30 days
    program = LoyaltyProgram.current()
    program.points_expire_after_months = 3
    program.save()
    buy(member, store, "40.00", occurred_at=timezone.now() - datetime.timedelta(days=75))
    buy(member, store, "10.00")
    spend(member, 15)
    # when
    member.refresh_from_db()
    summary = member_summary_get(member=member)
    # then 40 − 15 spent = 25 expire soon, the fresh 10 do not
    assert summary.points_balance == 35
    assert summary.points_expiring_soon == 25


def test_the_expire_points_command_reports_progress(member, store, capsys):
    buy(member, store, "10.00")  # earned now: nothing due yet
    call_command("expire_points")
    assert "Expired 0 points on 0 accounts." in capsys.readouterr().out
