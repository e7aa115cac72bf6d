"""Guards of codes, store credit and stock: each row lock raced on PostgreSQL, each constraint
hit past the services (docs/architecture.md, "Guards and the tests that defend them")."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from points.models import PointAccount
from points.services import points_adjust
from points.services import purchases as purchases_module
from rewards.codes import generate_code
from rewards.models import CodeUse, IssuedReward, Reward, StoreCreditAccount, StoreCreditEntry
from rewards.services import (
    CodeAlreadyUsed,
    code_revoke,
    codes_expire_due,
    credit_account_lock,
    reward_redeem,
    store_credit_adjust,
)
from rewards.services import checkout as checkout_module
from rewards.services import credit as credit_module
from rewards.services import issuing as issuing_module
from tests.factories import MemberFactory, RewardFactory, StoreFactory, UserFactory
from tests.helpers import buy, issue
from tests.markers import postgres_only

from .interleave import Interleave, account_read_without_lock

race = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# Row locks


@postgres_only
@race
def test_store_credit_changes_lock_the_credit_account(monkeypatch):
    # given a member's credit account (created before: creating it queues on its unique index),
    # and two staff grants, the first stopping after it read the balance
    member, actor = MemberFactory(), UserFactory()
    with transaction.atomic():
        credit_account_lock(member.pk)
    interleave = Interleave()
    monkeypatch.setattr(
        credit_module, "credit_append", interleave.pause_before(credit_module.credit_append)
    )

    def grant():
        return store_credit_adjust(member=member, amount=Decimal("10.00"), reason="x", actor=actor)

    # when both run at once
    results = interleave.run(grant, grant)
    # then both count, each entry continuing the other's balance
    assert not [result for result in results if isinstance(result, Exception)], results
    assert StoreCreditAccount.objects.get(member=member).balance == Decimal("20.00")
    balances = StoreCreditEntry.objects.order_by("pk").values_list("balance_after", flat=True)
    assert sorted(balances) == [Decimal("10.00"), Decimal("20.00")]


@postgres_only
@race
def test_revoking_a_code_locks_it(monkeypatch):
    # given a code bought for 100 points, and revocations that read the account without locking
    # it (the account lock serialises them too today; this test sees the code's lock alone)
    member, actor = MemberFactory(), UserFactory()
    points_adjust(member=member, points=100, reason="setup", actor=actor)
    reward = RewardFactory(points_cost=100)
    reward_redeem(store=None, member=member, reward_id=reward.pk, idempotency_key="k")
    issued = IssuedReward.objects.get()
    monkeypatch.setattr(issuing_module, "account_lock", account_read_without_lock)
    interleave = Interleave()
    monkeypatch.setattr(
        issuing_module, "ledger_append", interleave.pause_before(issuing_module.ledger_append)
    )

    def revoke():
        return code_revoke(issued=issued, actor=actor, reason="till error")

    # when staff revoke it twice at once
    first, second = interleave.run(revoke, revoke)
    # then it is revoked once and its points come back once
    assert not isinstance(first, Exception), first
    assert isinstance(second, Exception)
    assert PointAccount.objects.get(member=member).balance == 100


@postgres_only
@race
def test_checkout_locks_the_codes_it_validates(monkeypatch):
    # given a code, and purchases that read the account without locking it (the account lock
    # serialises them too today; this test sees the code lock alone)
    member = MemberFactory()
    stores = [StoreFactory(), StoreFactory()]
    code = issue(member, RewardFactory(fixed=True, value=Decimal("5"))).code
    monkeypatch.setattr(purchases_module, "account_lock", account_read_without_lock)
    interleave = Interleave()
    monkeypatch.setattr(
        purchases_module, "compute_points", interleave.pause_before(purchases_module.compute_points)
    )

    # when two tills use it at once, the first stopping right after its checkout validated it
    first, second = interleave.run(
        lambda: buy(member, stores[0], "20.00", codes=[code]),
        lambda: buy(member, stores[1], "20.00", codes=[code]),
    )
    # then the purchase that validated it first keeps it; the other is refused at validation,
    # with the verdict of each code
    assert not isinstance(first, Exception), first
    assert isinstance(second, CodeAlreadyUsed), (first, second)
    assert second.extra["codes"][0]["reason"] == "used"
    assert CodeUse.objects.get().purchase == first.purchase


@postgres_only
@race
def test_checkout_consumes_only_a_code_still_unused(monkeypatch):
    # given a code bought for 100 points, and a purchase that reads the account and the code
    # without locking them (both locks serialise this race today; this test sees the conditional
    # consumption alone), stopping right after it validated the code
    member, actor, store = MemberFactory(), UserFactory(), StoreFactory()
    points_adjust(member=member, points=100, reason="setup", actor=actor)
    reward = RewardFactory(points_cost=100, fixed=True, value=Decimal("5"))
    reward_redeem(store=None, member=member, reward_id=reward.pk, idempotency_key="k")
    issued = IssuedReward.objects.get()
    evaluate = checkout_module.checkout_evaluate
    monkeypatch.setattr(
        checkout_module,
        "checkout_evaluate",
        lambda **kwargs: evaluate(**{**kwargs, "for_update": False}),
    )
    monkeypatch.setattr(purchases_module, "account_lock", account_read_without_lock)
    monkeypatch.setattr(issuing_module, "account_lock", account_read_without_lock)
    interleave = Interleave()
    monkeypatch.setattr(
        purchases_module, "compute_points", interleave.pause_before(purchases_module.compute_points)
    )
    # when staff revoke the code (returning its points) while the till uses it
    bought, revoked = interleave.run(
        lambda: buy(member, store, "20.00", codes=[issued.code]),
        lambda: code_revoke(issued=issued, actor=actor, reason="till error"),
    )
    # then the code was not both refunded and used for a discount
    assert not isinstance(revoked, Exception), revoked
    assert isinstance(bought, CodeAlreadyUsed)
    assert not CodeUse.objects.exists()
    assert IssuedReward.objects.get().status == IssuedReward.Status.REVOKED


# Constraints: written past the services, which check the same thing first


@pytest.mark.django_db
def test_issuing_never_hands_out_a_code_that_exists(member, monkeypatch):
    # given the code generator drawing a code that is taken, then a free one
    taken, free = generate_code(), generate_code()
    draws = iter([taken, taken, free])
    monkeypatch.setattr(issuing_module, "generate_code", lambda: next(draws))
    reward = RewardFactory()
    issue(member, reward)
    # when another code is issued
    issued = issue(MemberFactory(), reward)
    # then the collision was refused by the database and another code drawn
    assert issued.code == free
    assert IssuedReward.objects.filter(code=taken).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_stock_below_zero():
    reward = RewardFactory(stock=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reward.objects.filter(pk=reward.pk).update(stock=-1)
    assert Reward.objects.get(pk=reward.pk).stock == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_live_use_of_a_code(member, store):
    # given a code used on a purchase
    code = issue(member, RewardFactory(fixed=True, value=Decimal("5"))).code
    outcome = buy(member, store, "20.00", codes=[code])
    use = CodeUse.objects.get()
    # when a second use is written past the checkout
    with pytest.raises(IntegrityError), transaction.atomic():
        CodeUse.objects.create(
            issued_reward=use.issued_reward, purchase=outcome.purchase, discount=Decimal("5")
        )
    # then it was used once
    assert CodeUse.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_second_credit_account_for_a_member(member):
    with transaction.atomic():
        credit_account_lock(member.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditAccount.objects.create(member=member)
    assert StoreCreditAccount.objects.filter(member=member).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "balance_after"),
    [(Decimal("-1.00"), Decimal("-1.00")), (Decimal("0.00"), Decimal("0.00"))],
    ids=["below_zero", "zero_amount"],
)
def test_the_database_refuses_a_credit_entry_below_zero_or_of_nothing(
    member, amount, balance_after
):
    with transaction.atomic():
        account = credit_account_lock(member.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        StoreCreditEntry.objects.create(
            account=account, kind="adjustment", amount=amount, balance_after=balance_after
        )
    assert not StoreCreditEntry.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_percentage_discount_over_100():
    reward = RewardFactory(value=Decimal("50"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Reward.objects.filter(pk=reward.pk).update(value=Decimal("101"))
    assert Reward.objects.get(pk=reward.pk).value == Decimal("50.00")


@postgres_only
@race
def test_expiring_codes_skips_a_code_a_till_holds_instead_of_waiting_for_it():
    # given two codes past their date, one of them locked by a till between checkout's
    # validation and its use (another connection holds the row lock)
    member = MemberFactory()
    past = timezone.now() - datetime.timedelta(days=31)
    held, free = issue(member, RewardFactory(), now=past), issue(member, RewardFactory(), now=past)
    till = connections.create_connection("default")
    expired: list[int] = []
    try:
        till.set_autocommit(False)
        with till.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM rewards_issuedreward WHERE id = %s FOR UPDATE", [held.pk]
            )

        # when the nightly job runs meanwhile
        job = threading.Thread(target=lambda: expired.append(codes_expire_due()), daemon=True)
        job.start()
        job.join(timeout=10)
        finished_while_held = not job.is_alive()
    finally:
        till.rollback()
        till.close()
    job.join(timeout=10)

    # then it finished without waiting for the till (an UPDATE of both would have), expiring
    # the free code and leaving the held one to the till and the next run
    assert finished_while_held
    assert expired == [1]
    assert IssuedReward.objects.get(pk=free.pk).status == IssuedReward.Status.EXPIRED
    assert IssuedReward.objects.get(pk=held.pk).status == IssuedReward.Status.ISSUED
    assert codes_expire_due() == 1  # the next run takes it
