from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.signals import member_enrolled
from core.config_cache import forget_config

from .models import EarningRule, PointAccount, Purchase, ScoreNorm, Tier
from .score import score_norms_cache_clear
from .selectors import EARNING_RULES_CACHE_KEY
from .services.score import score_record_purchase
from .services.tiers import tier_assign_entry, tier_upgrade_if_qualified
from .signals import purchase_recorded
from .tiers import tiers_by_spend, tiers_cache_clear


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


@receiver(purchase_recorded, dispatch_uid="points.score_purchase")
def score_purchase(sender, purchase: Purchase, **kwargs) -> None:
    score_record_purchase(purchase)


@receiver(purchase_recorded, dispatch_uid="points.tier_by_spend")
def upgrade_tier_by_spend(sender, purchase: Purchase, account: PointAccount, **kwargs) -> None:
    """With tiers by spend a purchase can cross a threshold without earning points (the
    ledger's own check runs only on qualifying credits); the account is locked by the sender."""
    if tiers_by_spend():
        tier_upgrade_if_qualified(account)


@receiver(post_save, sender=ScoreNorm, dispatch_uid="points.score_norms_changed")
@receiver(post_delete, sender=ScoreNorm, dispatch_uid="points.score_norms_deleted")
def forget_cached_score_norms(sender, **kwargs) -> None:
    score_norms_cache_clear()
