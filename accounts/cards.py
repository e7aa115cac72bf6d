"""Loyalty card numbers.

A card number is 10 random digits followed by a Damm check digit (11 digits in all). The Damm
algorithm detects every single-digit error and every swap of two adjacent digits, so a mistyped
number is refused instead of credited to someone else. Eleven digits is shorter than any payment
card number (13–19 digits), so a card number can never be mistaken for one and no payment data
ends up in the programme; `looks_like_payment_card` guards that promise in code and tests.
"""

import secrets

CARD_NUMBER_LENGTH = 11

# Totally anti-symmetric quasigroup of order 10 (Damm, 2004).
_DAMM_TABLE = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

# Issuer prefixes of the card schemes (Visa, Mastercard, Amex, Discover, JCB, Diners,
# UnionPay, Maestro); enough to recognise something that may be a payment card number.
_PAYMENT_PREFIXES = ("4", "5", "2", "34", "37", "6", "35", "30", "36", "38", "62")


def damm_check_digit(digits: str) -> str:
    interim = 0
    for char in digits:
        interim = _DAMM_TABLE[interim][int(char)]
    return str(interim)


def is_valid_card_number(value: str) -> bool:
    return (
        len(value) == CARD_NUMBER_LENGTH
        and value.isascii()
        and value.isdigit()
        and damm_check_digit(value) == "0"  # the check digit makes the whole number check to 0
    )


def luhn_is_valid(value: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(value)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def looks_like_payment_card(value: str) -> bool:
    return (
        value.isdigit()
        and 13 <= len(value) <= 19
        and value.startswith(_PAYMENT_PREFIXES)
        and luhn_is_valid(value)
    )


def generate_card_number() -> str:
    while True:
        body = str(secrets.randbelow(9 * 10**9) + 10**9)  # 10 digits, no leading zero
        number = body + damm_check_digit(body)
        if not looks_like_payment_card(number):
            return number


def normalise_card_number(value: str) -> str:
    """Tills and people send card numbers with spaces or dashes; keep the digits only."""
    return "".join(char for char in str(value) if char not in " -.")
