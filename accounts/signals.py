"""Events the accounts app announces; higher apps (points, campaigns) listen.

Receivers run inside the sender's transaction, so whatever they write commits or rolls back
together with the change that caused it.
"""

from django.dispatch import Signal

# sender=Member, member=Member, referral_code=str | None
member_enrolled = Signal()
