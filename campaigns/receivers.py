"""Campaigns listen to what happens in the lower apps; each receiver calls one service
(`campaigns/services/events.py`), in the sender's transaction."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.signals import member_enrolled
from points.signals import purchase_recorded, purchases_imported, refund_recorded, tier_changed

from . import services
from .bonus import bonus_campaigns_cache_clear
from .models import Automation, BonusCampaign


@receiver(member_enrolled, dispatch_uid="campaigns.welcome")
def on_enrolment(sender, member, **kwargs) -> None:
    services.on_member_enrolled(member)


@receiver(purchase_recorded, dispatch_uid="campaigns.purchase")
def on_purchase(sender, purchase, locked=None, **kwargs) -> None:
    services.on_purchase_recorded(purchase, (locked or {}).get(services.LOCK_PRELUDE))


@receiver(refund_recorded, dispatch_uid="campaigns.refund")
def on_refund(sender, refund, locked=None, **kwargs) -> None:
    services.on_refund_recorded(refund, (locked or {}).get(services.LOCK_PRELUDE))


@receiver(purchases_imported, dispatch_uid="campaigns.purchases_imported")
def on_purchases_import(sender, member_ids, **kwargs) -> None:
    services.on_purchases_imported(member_ids)


@receiver(tier_changed, dispatch_uid="campaigns.tier")
def on_tier_change(sender, account, to_tier, reason, **kwargs) -> None:
    services.on_tier_changed(account=account, to_tier=to_tier, reason=reason)


@receiver(post_save, sender=Automation, dispatch_uid="campaigns.automation_saved")
@receiver(post_delete, sender=Automation, dispatch_uid="campaigns.automation_deleted")
def forget_cached_automations(sender, **kwargs) -> None:
    services.automations_cache_clear()


@receiver(post_save, sender=BonusCampaign, dispatch_uid="campaigns.bonus_saved")
@receiver(post_delete, sender=BonusCampaign, dispatch_uid="campaigns.bonus_deleted")
def forget_cached_bonus_campaigns(sender, **kwargs) -> None:
    bonus_campaigns_cache_clear()
