"""The set-based UPDATE that batch jobs use, on both databases."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from core.bulk import update_from_values
from points.models import PointAccount
from tests.factories import MemberFactory


@pytest.mark.django_db
def test_each_row_gets_its_own_values_and_other_rows_are_untouched():
    accounts = [PointAccount.objects.get(member=MemberFactory()) for _ in range(4)]
    PointAccount.objects.update(balance=100)
    stamp = timezone.now() - datetime.timedelta(days=3)
    adapted = connection.ops.adapt_datetimefield_value(stamp)

    updated = update_from_values(
        PointAccount._meta.db_table,
        key="id",
        assignments="balance = balance - batch.expired, updated_at = batch.stamp",
        columns=("expired", "stamp"),
        rows=[
            (accounts[0].pk, 10, adapted),
            (accounts[1].pk, 25, adapted),
            (accounts[2].pk, 1, adapted),
        ],
        chunk=2,  # two statements: the chunks must add up
    )

    assert updated == 3
    balances = dict(PointAccount.objects.values_list("pk", "balance"))
    assert [balances[account.pk] for account in accounts] == [90, 75, 99, 100]
    assert PointAccount.objects.get(pk=accounts[1].pk).updated_at == stamp
    assert PointAccount.objects.get(pk=accounts[3].pk).updated_at != stamp


@pytest.mark.django_db
def test_nothing_to_update_runs_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert (
            update_from_values(
                "points_pointaccount", key="id", assignments="balance = 0", columns=("x",), rows=[]
            )
            == 0
        )
