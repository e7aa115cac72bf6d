from django.dispatch import receiver

from points.models import TierChange
from points.signals import tier_changed

from .services import tier_gifts_issue


@receiver(tier_changed, dispatch_uid="rewards.tier_gifts")
def give_tier_gifts(sender, account, to_tier, reason, **kwargs) -> None:
    if to_tier is not None and reason == TierChange.Reason.UPGRADE:
        tier_gifts_issue(member=account.member, tier=to_tier)
