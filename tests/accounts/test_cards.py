import random

import pytest

from accounts.cards import (
    CARD_NUMBER_LENGTH,
    damm_check_digit,
    generate_card_number,
    is_valid_card_number,
    looks_like_payment_card,
    normalise_card_number,
)


def test_generated_card_numbers_are_valid_and_never_look_like_payment_cards():
    for _ in range(2000):
        number = generate_card_number()
        assert len(number) == CARD_NUMBER_LENGTH
        assert number[0] != "0"
        assert is_valid_card_number(number)
        assert not looks_like_payment_card(number)


def test_every_single_digit_typo_is_refused():
    rng = random.Random(7)
    for _ in range(200):
        number = generate_card_number()
        position = rng.randrange(len(number))
        for digit in "0123456789":
            if digit == number[position]:
                continue
            typo = number[:position] + digit + number[position + 1 :]
            assert not is_valid_card_number(typo), typo


def test_every_swap_of_adjacent_digits_is_refused():
    for _ in range(200):
        number = generate_card_number()
        for position in range(len(number) - 1):
            a, b = number[position], number[position + 1]
            if a == b:
                continue
            swapped = number[:position] + b + a + number[position + 2 :]
            assert not is_valid_card_number(swapped), swapped


@pytest.mark.parametrize(
    "value", ["", "1234567890", "123456789012", "12345abcde1", "١٢٣٤٥٦٧٨٩٠١", "9999999999 "]
)
def test_malformed_card_numbers_are_refused(value):
    assert not is_valid_card_number(value)


def test_damm_check_digit_matches_the_published_example():
    # Damm (2004): 572 has check digit 4.
    assert damm_check_digit("572") == "4"
    assert damm_check_digit("5724") == "0"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("4111111111111111", True),  # Visa test card
        ("5555555555554444", True),  # Mastercard test card
        ("378282246310005", True),  # Amex test card
        ("4111111111111112", False),  # Luhn fails
        ("1111111111111117", False),  # Luhn-valid but no scheme prefix
        ("41111111116", False),  # too short to be a payment card
    ],
)
def test_payment_card_detection(number, expected):
    assert looks_like_payment_card(number) is expected


def test_card_numbers_typed_with_spaces_or_dashes_are_normalised():
    number = generate_card_number()
    spaced = f"{number[:3]} {number[3:7]}-{number[7:]}"
    assert normalise_card_number(spaced) == number
