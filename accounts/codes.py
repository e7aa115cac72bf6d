"""Codes people read aloud and type: no 0/O and no 1/I, upper case, from `secrets`."""

import secrets

READABLE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 characters: 5 bits each
REFERRAL_CODE_LENGTH = 8


def readable_code(length: int) -> str:
    """`length` characters carrying 5 random bits each, from one draw of the system's CSPRNG."""
    bits = secrets.randbits(5 * length)
    return "".join(READABLE_ALPHABET[(bits >> (5 * index)) & 31] for index in range(length))


def normalise_code(value: str) -> str:
    """Codes are case-insensitive and may be typed with spaces or dashes."""
    return "".join(char for char in str(value).upper() if char not in " -")
