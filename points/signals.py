"""Events of the points app; rewards and campaigns listen. Receivers run inside the sender's
transaction."""

from django.dispatch import Signal

# sender=Purchase, purchase=Purchase, account=PointAccount (locked)
purchase_recorded = Signal()
# sender=PointAccount, account=PointAccount, from_tier=Tier|None, to_tier=Tier|None, reason=str
tier_changed = Signal()
# sender=Refund, refund=Refund, purchase=Purchase
refund_recorded = Signal()
