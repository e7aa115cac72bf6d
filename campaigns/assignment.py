"""Who is held out and who gets which variant: random, but the same on every run.

A pure function of (automation, member): the first 8 bytes of a SHA-256 of both ids give a
number in [0, 1). Below the holdout share the member is held out; the rest of the line is cut
into the arms' splits, in arm-id order. Reruns, retries and other workers agree without storing
anything beforehand, and a member's place does not depend on who else is in the audience.
Two draws from one hash (holdout, then arm) are independent: the arm is drawn from the position
within the treated part of the line, rescaled to [0, 1).
"""

import hashlib
from dataclasses import dataclass

HOLDOUT = "holdout"


@dataclass(frozen=True)
class Assignment:
    held_out: bool
    arm_id: int | None  # None: the automation's own offer (no arms), or held out


def assignment_draw(*, automation_id: int, member_id: int) -> float:
    """A uniform number in [0, 1), fixed for this automation and member."""
    digest = hashlib.sha256(f"uplift:{automation_id}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


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
