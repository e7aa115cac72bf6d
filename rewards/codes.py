"""Reward codes: 12 characters from 32 easily read characters, so 60 bits from `secrets`.

With a million live codes an attacker guessing at random expects one hit in about a million
million tries (2**60 / 10**6 ≈ 1.2e12), and failed checks are rate-limited on top of that.
"""

import secrets

# No 0/O and no 1/I: nothing to confuse when a code is read aloud or typed from a screen.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def generate_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(value: str) -> str:
    """Codes are case-insensitive and may be typed with spaces or dashes."""
    return "".join(char for char in str(value).upper() if char not in " -")
