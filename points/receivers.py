from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.signals import member_enrolled

from .models import PointAccount, Tier
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
