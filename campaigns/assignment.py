"""Who is held out and who gets which variant: random, but the same on every run.

A pure function of (automation, member): the first 8 bytes of a SHA-256 of both ids give a
number in [0, 1). Below the holdout share the member is held out; the rest of the line is cut
into the arms' splits, in arm-id order. Reruns, retries and other workers agree without storing
anything beforehand, and a member's place does not depend on who else is in the audience.
Two draws from one hash (holdout, then arm) are independent: the arm is drawn from the position
within the treated part of the line, rescaled to [0, 1).

Bonus campaigns hold members out by the same kind of draw with a salt of their own
(`bonus_held_out`), so an automation and a bonus campaign with the same id never split members
alike: a member held out of one is no likelier to be held out of the other.
"""

import hashlib
from dataclasses import dataclass

HOLDOUT = "holdout"
# The salts of the draws: one per kind of offer, so their draws are independent.
AUTOMATION_SALT = "uplift"
BONUS_CAMPAIGN_SALT = "bonus-holdout"


@dataclass(frozen=True)
class Assignment:
    held_out: bool
    arm_id: int | None  # None: the automation's own offer (no arms), or held out


def draw(*, salt: str, owner_id: int, member_id: int) -> float:
    """A uniform number in [0, 1), fixed for this salt, owner (automation or campaign) and
    member."""
    digest = hashlib.sha256(f"{salt}:{owner_id}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assignment_draw(*, automation_id: int, member_id: int) -> float:
    """A uniform number in [0, 1), fixed for this automation and member."""
    return draw(salt=AUTOMATION_SALT, owner_id=automation_id, member_id=member_id)


def bonus_held_out(*, campaign_id: int, member_id: int, holdout_percent: int) -> bool:
    """Whether a bonus campaign holds this member out: one hash, no query."""
    if holdout_percent <= 0:
        return False
    return draw(salt=BONUS_CAMPAIGN_SALT, owner_id=campaign_id, member_id=member_id) < (
        holdout_percent / 100
    )


def assignment_for(
    *,
    automation_id: int,
    member_id: int,
    holdout_percent: int,
    arms: list[tuple[int, int]],
) -> Assignment:
    """Where a member falls: held out, or treated with one of `arms` ((arm id, split %), splits
    adding up to 100; empty = the automation's own offer)."""
    draw = assignment_draw(automation_id=automation_id, member_id=member_id)
    holdout = holdout_percent / 100
    if draw < holdout:
        return Assignment(held_out=True, arm_id=None)
    if not arms:
        return Assignment(held_out=False, arm_id=None)
    position = (draw - holdout) / (1 - holdout) * 100
    upper = 0.0
    for arm_id, split in arms:
        upper += split
        if position < upper:
            return Assignment(held_out=False, arm_id=arm_id)
    return Assignment(held_out=False, arm_id=arms[-1][0])  # splits summing short of 100
