"""Campaigns listen to what happens in the lower apps; everything runs in the sender's
transaction and only creates pending deliveries (fulfilled and sent after commit)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.signals import member_enrolled
from points.models import Purchase, TierChange
from points.signals import purchase_recorded, refund_recorded, tier_changed

from . import services
from .bonus import bonus_campaigns_cache_clear
from .models import Automation, BonusCampaign, Trigger


@receiver(member_enrolled, dispatch_uid="campaigns.welcome")
def on_enrolment(sender, member, **kwargs) -> None:
    for automation in services.live_event_automations(Trigger.WELCOME):
        services.delivery_create_for_event(automation, member=member, key="welcome")


@receiver(purchase_recorded, dispatch_uid="campaigns.purchase")
def on_purchase(sender, purchase, **kwargs) -> None:
    is_first = services.member_stats_record_purchase(purchase)
    services.conversions_record(purchase)
    member = purchase.member
    if is_first:
        for automation in services.live_event_automations(Trigger.FIRST_PURCHASE):
            services.delivery_create_for_event(automation, member=member, key="first")
        if member.referred_by_id:
            _reward_referral(member)
    for automation in services.live_event_automations(Trigger.NTH_PURCHASE):
        purchases = Purchase.objects.filter(member=member)
        if automation.category:
            purchases = purchases.filter(lines__category__iexact=automation.category).distinct()
            if not purchase.lines.filter(category__iexact=automation.category).exists():
                continue
        count = purchases.count()
        if automation.every_n and count % automation.every_n == 0:
            services.delivery_create_for_event(automation, member=member, key=f"nth:{count}")


def _reward_referral(newcomer) -> None:
    referrer = newcomer.referred_by
    for automation in services.live_event_automations(Trigger.REFERRAL):
        services.delivery_create_for_event(
            automation, member=referrer, key=f"referral:{newcomer.pk}"
        )
        if automation.reward_newcomer:
            services.delivery_create_for_event(
                automation, member=newcomer, key=f"referred:{newcomer.pk}"
            )


@receiver(refund_recorded, dispatch_uid="campaigns.refund")
def on_refund(sender, refund, **kwargs) -> None:
    services.member_stats_record_refund(refund)


@receiver(tier_changed, dispatch_uid="campaigns.tier")
def on_tier_change(sender, account, to_tier, reason, **kwargs) -> None:
    if reason != TierChange.Reason.UPGRADE or to_tier is None:
        return
    for automation in services.live_event_automations(Trigger.TIER_REACHED):
        if automation.tier_id in (None, to_tier.pk):
            key = f"tier:{to_tier.pk}:{timezone.localdate().isoformat()}"
            services.delivery_create_for_event(automation, member=account.member, key=key)


@receiver(post_save, sender=Automation, dispatch_uid="campaigns.automation_saved")
@receiver(post_delete, sender=Automation, dispatch_uid="campaigns.automation_deleted")
def forget_cached_automations(sender, **kwargs) -> None:
    services.automations_cache_clear()


@receiver(post_save, sender=BonusCampaign, dispatch_uid="campaigns.bonus_saved")
@receiver(post_delete, sender=BonusCampaign, dispatch_uid="campaigns.bonus_deleted")
def forget_cached_bonus_campaigns(sender, **kwargs) -> None:
    bonus_campaigns_cache_clear()
