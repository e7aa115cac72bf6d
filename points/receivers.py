from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.signals import member_enrolled
from core.config_cache import forget_config

from .models import EarningRule, PointAccount, Tier
from .selectors import EARNING_RULES_CACHE_KEY
from .services.tiers import tier_assign_entry
from .tiers import tiers_cache_clear


@receiver(member_enrolled, dispatch_uid="points.open_account")
def open_point_account(sender, member, **kwargs) -> None:
    account, _created = PointAccount.objects.get_or_create(member=member)
    tier_assign_entry(account)


@receiver(post_save, sender=Tier, dispatch_uid="points.tiers_changed")
@receiver(post_delete, sender=Tier, dispatch_uid="points.tiers_deleted")
def forget_cached_tiers(sender, **kwargs) -> None:
    tiers_cache_clear()


@receiver(post_save, sender=EarningRule, dispatch_uid="points.rules_changed")
@receiver(post_delete, sender=EarningRule, dispatch_uid="points.rules_deleted")
@receiver(m2m_changed, sender=EarningRule.stores.through, dispatch_uid="points.rule_stores_changed")
def forget_cached_rules(sender, **kwargs) -> None:
    forget_config(EARNING_RULES_CACHE_KEY)
