from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from core.append_only import AppendOnlyError
from rewards.codes import ALPHABET, CODE_LENGTH, generate_code, normalise_code
from rewards.models import StoreCreditAccount, StoreCreditEntry
from rewards.services import (
    InsufficientStoreCredit,
    credit_account_lock,
    credit_append,
    store_credit_adjust,
)
from tests.factories import UserFactory


def test_codes_carry_at_least_60_bits_from_an_unambiguous_alphabet():
    assert len(ALPHABET) ** CODE_LENGTH >= 2**60
    assert not set("01OI") & set(ALPHABET)
    codes = {generate_code() for _ in range(5000)}
    assert len(codes) == 5000
    assert all(len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) for code in codes)


def test_codes_are_read_case_insensitively_with_or_without_dashes():
    assert normalise_code("abcd-efgh jklm") == "ABCDEFGHJKLM"


@pytest.mark.django_db
def test_store_credit_is_spendable_in_parts_but_never_below_zero(member):
    with transaction.atomic():
        account = credit_account_lock(member.pk)
        credit_append(account, kind="grant", amount=Decimal("10.00"))
        credit_append(account, kind="spend", amount=Decimal("-3.50"))
        credit_append(account, kind="spend", amount=Decimal("-6.50"))
    with pytest.raises(InsufficientStoreCredit), transaction.atomic():
        credit_append(credit_account_lock(member.pk), kind="spend", amount=Decimal("-0.01"))
    assert StoreCreditAccount.objects.get(member=member).balance == Decimal("0.00")
    assert list(
        StoreCreditEntry.objects.order_by("pk").values_list("balance_after", flat=True)
    ) == [
        Decimal("10.00"),
        Decimal("6.50"),
        Decimal("0.00"),
    ]


@pytest.mark.django_db
def test_the_database_refuses_a_negative_credit_balance(member):
    with transaction.atomic():
        credit_account_lock(member.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditAccount.objects.filter(member=member).update(balance=Decimal("-1.00"))


@pytest.mark.django_db
def test_credit_entries_are_append_only(member):
    entry = store_credit_adjust(
        member=member, amount=Decimal("5.00"), reason="goodwill", actor=UserFactory()
    )
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE rewards_storecreditentry SET amount = 500")


@pytest.mark.django_db
def test_staff_credit_needs_a_reason_and_is_audited(member):
    staff = UserFactory()
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        store_credit_adjust(member=member, amount=Decimal("5.00"), reason=" ", actor=staff)
    store_credit_adjust(member=member, amount=Decimal("5.00"), reason="broken mug", actor=staff)
    action = member.staff_actions.get()
    assert (action.action, action.after["store_credit"]) == ("adjust_store_credit", "5.00")


@pytest.mark.django_db
def test_check_ledger_catches_a_tampered_store_credit_balance(member, capsys):
    store_credit_adjust(member=member, amount=Decimal("5.10"), reason="x", actor=UserFactory())
    call_command("check_ledger")
    StoreCreditAccount.objects.filter(member=member).update(balance=Decimal("50.00"))
    with pytest.raises(CommandError):
        call_command("check_ledger")
    assert "store credit account" in capsys.readouterr().out


@pytest.mark.django_db
def test_expire_codes_marks_only_codes_past_their_date(member, capsys):
    import datetime

    from django.utils import timezone

    from rewards.models import IssuedReward
    from tests.factories import RewardFactory
    from tests.helpers import issue

    old = issue(member, RewardFactory(), now=timezone.now() - datetime.timedelta(days=31))
    fresh = issue(member, RewardFactory())
    call_command("expire_codes")
    assert "1 code(s) marked as expired." in capsys.readouterr().out
    assert IssuedReward.objects.get(pk=old.pk).status == "expired"
    assert IssuedReward.objects.get(pk=fresh.pk).status == "issued"


def test_every_character_of_the_alphabet_appears_in_every_position():
    # a broken bit extraction would leave characters or positions unused
    codes = [generate_code() for _ in range(4000)]
    for position in range(CODE_LENGTH):
        assert {code[position] for code in codes} == set(ALPHABET)
