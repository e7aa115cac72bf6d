"""The non-stacking decision on plain data: every mode, the limit, best-for-customer, reasons."""

import datetime
from decimal import Decimal

import pytest

from points.earning import BasketLine
from rewards.checkout import Candidate, apply_codes, choose_best, why_left_out

SOON = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
LATER = datetime.datetime(2030, 6, 1, tzinfo=datetime.UTC)


def code(
    name,
    kind="percentage_discount",
    value="10",
    stacking="combinable",
    group="",
    sku="",
    expires=SOON,
):
    return Candidate(name, kind, Decimal(value), sku, stacking, group, expires)


def best(candidates, amount="100.00", max_codes=3, lines=()):
    choice = choose_best(tuple(candidates), Decimal(amount), tuple(lines), max_codes)
    return {c.code: str(d) for c, d in zip(choice.codes, choice.discounts, strict=True)}


def test_percentages_apply_before_fixed_amounts():
    # 10% of 100 = 10, then €5 → 15 (the other order would give 9.50 + 5 = 14.50)
    assert best([code("FIX", "fixed_discount", "5"), code("PCT", value="10")]) == {
        "PCT": "10.00",
        "FIX": "5.00",
    }


def test_two_percentages_apply_one_after_the_other():
    assert best([code("A", value="10"), code("B", value="20")]) == {"B": "20.00", "A": "8.00"}


def test_the_payable_amount_never_goes_below_zero():
    assert best([code("BIG", "fixed_discount", "80"), code("BIGGER", "fixed_discount", "50")]) == {
        "BIG": "80.00",
        "BIGGER": "20.00",
    }


def test_an_exclusive_code_is_never_combined_and_the_better_choice_wins():
    exclusive = code("EXCL", value="25", stacking="exclusive")
    a, b = code("A", value="10"), code("B", "fixed_discount", "10")
    # 25% alone (25.00) beats 10% + €10 (20.00)
    assert best([exclusive, a, b]) == {"EXCL": "25.00"}
    # but 10% + €20 (30.00) beats it
    assert best([exclusive, a, code("C", "fixed_discount", "20")]) == {"A": "10.00", "C": "20.00"}


def test_one_code_per_stacking_group():
    p10 = code("P10", value="10", stacking="one_per_group", group="percent")
    p15 = code("P15", value="15", stacking="one_per_group", group="percent")
    fixed = code("F5", "fixed_discount", "5", stacking="one_per_group", group="fixed")
    assert best([p10, p15, fixed]) == {"P15": "15.00", "F5": "5.00"}


def test_the_maximum_number_of_codes_per_purchase_holds():
    codes = [
        code("A", "fixed_discount", "5"),
        code("B", "fixed_discount", "7"),
        code("C", "fixed_discount", "6"),
    ]
    assert best(codes, max_codes=1) == {"B": "7.00"}
    assert best(codes, max_codes=2) == {"B": "7.00", "C": "6.00"}


def test_ties_keep_fewer_codes_then_the_one_expiring_first_then_the_alphabet():
    # €10 alone or €5 + €5: the customer keeps the two fives
    assert best(
        [
            code("TEN", "fixed_discount", "10"),
            code("FIVE1", "fixed_discount", "5"),
            code("FIVE2", "fixed_discount", "5"),
        ],
        amount="10.00",
    ) == {"TEN": "10.00"}
    # equal codes: the one expiring sooner is used
    assert best(
        [code("LATE", "fixed_discount", "5", expires=LATER), code("EARLY", "fixed_discount", "5")],
        max_codes=1,
    ) == {"EARLY": "5.00"}
    assert best(
        [code("BBB", "fixed_discount", "5"), code("AAA", "fixed_discount", "5")], max_codes=1
    ) == {"AAA": "5.00"}


def test_a_free_product_takes_one_unit_of_that_product_off_first():
    lines = [
        BasketLine("KOF-250", "coffee", Decimal("2"), Decimal("15.90")),
        BasketLine("X", "", Decimal("1"), Decimal("84.10")),
    ]
    free = code("FREE", "free_product", "0", sku="kof-250")
    choice = apply_codes((code("PCT", value="10"), free), Decimal("100.00"), tuple(lines))
    assert [(c.code, str(d)) for c, d in zip(choice.codes, choice.discounts, strict=True)] == [
        ("FREE", "7.95"),
        ("PCT", "9.21"),  # 10% of 92.05, rounded half up
    ]


@pytest.mark.parametrize(
    ("candidate", "chosen", "max_codes", "expected"),
    [
        (code("X", stacking="exclusive"), [code("A")], 3, ("not_combinable_with", "A")),
        (code("X"), [code("A", stacking="exclusive")], 3, ("not_combinable_with", "A")),
        (
            code("X", stacking="one_per_group", group="g"),
            [code("A", stacking="one_per_group", group="g")],
            3,
            ("not_combinable_with", "A"),
        ),
        (code("X"), [code("A")], 1, ("too_many_codes", None)),
        (code("X"), [code("A")], 3, ("no_discount", None)),
    ],
)
def test_each_left_out_code_says_why(candidate, chosen, max_codes, expected):
    choice = apply_codes(tuple(chosen), Decimal("100"), ())
    assert why_left_out(candidate, choice, max_codes) == expected
