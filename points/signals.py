"""Events of the points app; rewards and campaigns listen. Receivers run inside the sender's
transaction."""

from django.dispatch import Signal

# sender=Purchase, purchase=Purchase, account=PointAccount (locked), locked=dict: what the lock
# preludes locked before the account (points.extensions), by name
purchase_recorded = Signal()
# sender=PointAccount, account=PointAccount, from_tier=Tier|None, to_tier=Tier|None, reason=str
# Sent for the moves of one member's activity (an upgrade by earning, the entry tier at
# enrolment); the nightly evaluation's downgrades and renewals are recorded set-wise
# (TierChange rows, `tier.changed` webhooks) without it.
tier_changed = Signal()
# sender=Refund, refund=Refund, purchase=Purchase, locked=dict (as for purchase_recorded)
refund_recorded = Signal()
# sender=Purchase, member_ids=set[int]: historic purchases imported (no `purchase_recorded`, no
# earning), after their rows are written, in the import batch's transaction.
purchases_imported = Signal()
