import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from points.models import PointAccount, PointsEntry, Purchase
from rewards.models import CodeUse, IssuedReward, StackingPolicy, StoreCreditAccount
from rewards.services import credit_account_lock, credit_append
from tests.factories import MemberFactory, RewardFactory, TierFactory
from tests.helpers import issue, purchase_body

pytestmark = pytest.mark.django_db


def policy(max_codes=1, credit_with_codes=True):
    current = StackingPolicy.current()
    current.max_codes_per_purchase = max_codes
    current.store_credit_with_codes = credit_with_codes
    current.save()


def give_credit(member, amount):
    from django.db import transaction

    with transaction.atomic():
        credit_append(credit_account_lock(member.pk), kind="grant", amount=Decimal(amount))


def validate(pos, member, codes=(), amount="100.00", **extra):
    response = pos.post(
        "/api/v1/checkout/validate/",
        {"card_number": member.card_number, "amount": amount, "codes": list(codes), **extra},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def verdicts(body) -> dict:
    return {v["code"]: (v["status"], v["discount"], v["reason"]) for v in body["codes"]}


def test_a_valid_code_gives_its_discount(pos, member):
    code = issue(member, RewardFactory(value=Decimal("10"))).code
    body = validate(pos, member, [code.lower()])  # codes are case-insensitive
    assert verdicts(body) == {code: ("applied", "10.00", None)}
    assert (body["discount_total"], body["amount_payable"]) == ("10.00", "90.00")


def test_codes_may_be_typed_in_groups_with_dashes(pos, member):
    issued = issue(member, RewardFactory())
    assert verdicts(validate(pos, member, [issued.display_code]))[issued.code][0] == "applied"


def test_only_one_code_per_purchase_by_default(pos, member):
    a = issue(member, RewardFactory(fixed=True, value=Decimal("5"))).code
    b = issue(member, RewardFactory(fixed=True, value=Decimal("7"))).code
    body = validate(pos, member, [a, b])
    assert verdicts(body) == {
        a: ("rejected", "0.00", "too_many_codes"),
        b: ("applied", "7.00", None),
    }


def test_with_more_codes_allowed_exclusive_codes_still_stand_alone(pos, member):
    policy(max_codes=3)
    exclusive = issue(member, RewardFactory(value=Decimal("20"), stacking="exclusive")).code
    other = issue(member, RewardFactory(fixed=True, value=Decimal("5"))).code
    body = validate(pos, member, [exclusive, other])
    assert verdicts(body)[exclusive] == ("applied", "20.00", None)
    assert verdicts(body)[other] == ("rejected", "0.00", "not_combinable_with")
    assert body["codes"][1]["conflicts_with"] == exclusive


def test_one_per_group_keeps_the_best_of_the_group(pos, member):
    policy(max_codes=3)
    ten = issue(
        member, RewardFactory(value=Decimal("10"), stacking="one_per_group", stacking_group="pct")
    ).code
    fifteen = issue(
        member, RewardFactory(value=Decimal("15"), stacking="one_per_group", stacking_group="pct")
    ).code
    fixed = issue(member, RewardFactory(fixed=True, value=Decimal("5"))).code
    body = validate(pos, member, [ten, fifteen, fixed])
    assert verdicts(body) == {
        ten: ("rejected", "0.00", "not_combinable_with"),
        fifteen: ("applied", "15.00", None),
        fixed: ("applied", "5.00", None),
    }
    assert body["amount_payable"] == "80.00"


@pytest.mark.parametrize("owner", ["other_member", "nobody"])
def test_codes_of_other_members_and_unknown_codes_look_the_same(pos, member, owner):
    if owner == "other_member":
        code = issue(MemberFactory(), RewardFactory()).code
    else:
        code = "ABCDEFGHJKLM"
    body = validate(pos, member, [code])
    assert verdicts(body) == {code: ("rejected", "0.00", "not_yours")}
    assert "reward" not in body["codes"][0]


def test_a_used_or_expired_code_of_another_member_is_also_just_not_yours(pos, member):
    other = MemberFactory()
    expired = issue(other, RewardFactory(), now=timezone.now() - datetime.timedelta(days=90)).code
    body = validate(pos, member, [expired])
    assert verdicts(body)[expired][2] == "not_yours"


def test_the_members_own_code_says_used_or_expired(pos, member, store):
    used = issue(member, RewardFactory())
    IssuedReward.objects.filter(pk=used.pk).update(status="used")
    expired = issue(member, RewardFactory(), now=timezone.now() - datetime.timedelta(days=31))
    revoked = issue(member, RewardFactory())
    IssuedReward.objects.filter(pk=revoked.pk).update(status="revoked")
    body = validate(pos, member, [used.code, expired.code, revoked.code])
    assert [v["reason"] for v in body["codes"]] == ["used", "expired", "revoked"]


def test_minimum_spend_tier_and_product_are_checked(pos, member):
    policy(max_codes=3)
    TierFactory(rank=1, threshold=0)
    gold = TierFactory(rank=2, threshold=1500)
    minimum = issue(
        member, RewardFactory(fixed=True, value=Decimal("5"), minimum_spend=Decimal("150"))
    ).code
    tiered = issue(member, RewardFactory(minimum_tier=gold)).code
    product = issue(member, RewardFactory(free_product=True)).code
    body = validate(
        pos, member, [minimum, tiered, product], lines=[{"sku": "THEE", "amount": "4.00"}]
    )
    assert [v["reason"] for v in body["codes"]] == [
        "minimum_spend",
        "tier_required",
        "product_not_in_basket",
    ]
    assert body["discount_total"] == "0.00"


def test_a_code_entered_twice_counts_once(pos, member):
    policy(max_codes=3)
    code = issue(member, RewardFactory(fixed=True, value=Decimal("5"))).code
    body = validate(pos, member, [code, code])
    assert [v["reason"] for v in body["codes"]] == [None, "duplicate"]
    assert body["discount_total"] == "5.00"


def test_store_credit_pays_last_and_never_below_zero(pos, member):
    give_credit(member, "30.00")
    code = issue(member, RewardFactory(fixed=True, value=Decimal("10"))).code
    body = validate(pos, member, [code], amount="25.00", store_credit="30.00")
    assert body["store_credit"] == {
        "requested": "30.00",
        "available": "30.00",
        "used": "15.00",
        "reason": None,
        "mode": "exact",
    }
    assert body["amount_payable"] == "0.00"


def test_store_credit_beyond_the_balance_is_refused(pos, member):
    give_credit(member, "5.00")
    body = validate(pos, member, store_credit="10.00")
    assert body["store_credit"]["reason"] == "insufficient_store_credit"
    assert body["store_credit"]["used"] == "0.00"


def test_the_shop_can_forbid_store_credit_with_codes(pos, member):
    policy(credit_with_codes=False)
    give_credit(member, "20.00")
    code = issue(member, RewardFactory()).code
    body = validate(pos, member, [code], store_credit="10.00")
    assert body["store_credit"]["reason"] == "not_combinable_with_codes"
    assert body["amount_payable"] == "90.00"


def test_guessing_codes_is_stopped_after_ten_misses(pos, member):
    for attempt in range(10):
        validate(pos, member, [f"ZZZZZZZZZZ{attempt:02d}".replace("0", "2").replace("1", "3")])
    own = issue(member, RewardFactory()).code
    # when the next check comes, even with a valid code
    response = pos.post(
        "/api/v1/checkout/validate/",
        {"card_number": member.card_number, "amount": "10.00", "codes": [own]},
        format="json",
    )
    # then it is refused for a while
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_failed_code_checks"


def test_validation_records_nothing(pos, member):
    code = issue(member, RewardFactory()).code
    validate(pos, member, [code])
    assert IssuedReward.objects.get().status == "issued"
    assert Purchase.objects.count() == 0


# --- purchases that use codes and credit -------------------------------------------------


def test_a_purchase_consumes_its_codes_and_credit_and_earns_on_what_was_paid(pos, member):
    give_credit(member, "20.00")
    code = issue(member, RewardFactory(fixed=True, value=Decimal("10"))).code
    # when
    response = pos.post(
        "/api/v1/purchases/",
        purchase_body(member.card_number, amount="50.00", codes=[code], store_credit="15.00"),
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["discount_total"], body["store_credit_used"], body["amount_payable"]) == (
        "10.00",
        "15.00",
        "25.00",
    )
    assert body["points_earned"] == 25  # on the 25.00 paid in money
    issued = IssuedReward.objects.get(code=code)
    assert issued.status == "used"
    assert issued.used_in_purchase.transaction_id == "T-1001"
    assert StoreCreditAccount.objects.get(member=member).balance == Decimal("5.00")
    call_command("check_ledger")


def test_a_purchase_with_a_used_code_is_refused_with_409_and_records_nothing(pos, member):
    code = issue(member, RewardFactory()).code
    assert (
        pos.post(
            "/api/v1/purchases/",
            purchase_body(member.card_number, transaction_id="A", codes=[code]),
            format="json",
        ).status_code
        == 201
    )
    # when the same code comes back on another purchase
    response = pos.post(
        "/api/v1/purchases/",
        purchase_body(member.card_number, transaction_id="B", codes=[code]),
        format="json",
    )
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "code_used"
    assert code in response.json()["message"]
    assert Purchase.objects.count() == 1
    assert CodeUse.objects.count() == 1


def test_a_purchase_with_a_rejected_code_records_nothing(pos, member):
    response = pos.post(
        "/api/v1/purchases/",
        purchase_body(member.card_number, codes=["ABCDEFGHJKLM"]),
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "codes_rejected"
    assert response.json()["codes"][0]["reason"] == "not_yours"
    assert (Purchase.objects.count(), PointsEntry.objects.count()) == (0, 0)


def test_a_purchase_asking_more_credit_than_there_is_records_nothing(pos, member):
    give_credit(member, "5.00")
    response = pos.post(
        "/api/v1/purchases/", purchase_body(member.card_number, store_credit="10.00"), format="json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_store_credit"
    assert Purchase.objects.count() == 0


def test_a_full_refund_restores_the_codes_and_returns_the_credit(pos, member):
    give_credit(member, "20.00")
    code = issue(member, RewardFactory(fixed=True, value=Decimal("10"))).code
    pos.post(
        "/api/v1/purchases/",
        purchase_body(member.card_number, amount="50.00", codes=[code], store_credit="20.00"),
        format="json",
    )
    # when the whole net amount (50 − 10 discount = 40) is refunded in two parts
    first = pos.post(
        "/api/v1/purchases/T-1001/refunds/", {"refund_id": "R1", "amount": "10.00"}, format="json"
    ).json()
    second = pos.post(
        "/api/v1/purchases/T-1001/refunds/", {"refund_id": "R2", "amount": "30.00"}, format="json"
    ).json()
    # then credit comes back in proportion, and the code only with the full refund
    assert first["store_credit_returned"] == "5.00"
    assert "codes_restored" not in first
    assert second["store_credit_returned"] == "15.00"
    assert second["codes_restored"] == [code]
    assert IssuedReward.objects.get(code=code).status == "issued"
    assert StoreCreditAccount.objects.get(member=member).balance == Decimal("20.00")
    assert PointAccount.objects.get(member=member).balance == 0
    call_command("check_ledger")


def test_a_restored_code_can_be_used_again(pos, member):
    code = issue(member, RewardFactory()).code
    pos.post(
        "/api/v1/purchases/",
        purchase_body(member.card_number, transaction_id="A", codes=[code]),
        format="json",
    )
    pos.post("/api/v1/purchases/A/refunds/", {"refund_id": "R", "amount": "22.45"}, format="json")
    response = pos.post(
        "/api/v1/purchases/",
        purchase_body(member.card_number, transaction_id="B", codes=[code]),
        format="json",
    )
    assert response.status_code == 201
    assert CodeUse.objects.filter(restored_at__isnull=True).count() == 1


def test_an_expired_code_is_not_restored(pos, member):
    issued = issue(member, RewardFactory())
    pos.post(
        "/api/v1/purchases/", purchase_body(member.card_number, codes=[issued.code]), format="json"
    )
    IssuedReward.objects.filter(pk=issued.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    body = pos.post(
        "/api/v1/purchases/T-1001/refunds/", {"refund_id": "R", "amount": "22.45"}, format="json"
    ).json()
    assert body["codes_restored"] == []
    assert IssuedReward.objects.get(pk=issued.pk).status == "used"
