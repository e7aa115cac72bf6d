"""Reward codes: 12 characters from 32 easily read characters, so 60 bits from `secrets`.

With a million live codes an attacker guessing at random expects one hit in about a million
million tries (2**60 / 10**6 ≈ 1.2e12), and failed checks are rate-limited on top of that.
"""

from accounts.codes import READABLE_ALPHABET, normalise_code, readable_code

ALPHABET = READABLE_ALPHABET
CODE_LENGTH = 12

__all__ = ["ALPHABET", "CODE_LENGTH", "generate_code", "normalise_code"]


def generate_code() -> str:
    return readable_code(CODE_LENGTH)
