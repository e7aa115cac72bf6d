from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed

        from points.extensions import (
            register_bonus_provider,
            register_lock_prelude,
            register_stamp_card_provider,
        )
        from rewards.budgets import register_budget_settler

        from . import receivers
        from .bonus import campaign_bonus_lines
        from .models import BonusCampaign
        from .selectors import stamp_cards_progress
        from .services.budgets import budget_settle
        from .services.conversions import LOCK_PRELUDE, deliveries_lock_in_window

        register_bonus_provider(campaign_bonus_lines)
        register_stamp_card_provider(stamp_cards_progress)
        register_budget_settler(budget_settle)
        register_lock_prelude(LOCK_PRELUDE, deliveries_lock_in_window)
        for through in (BonusCampaign.stores.through, BonusCampaign.tiers.through):
            m2m_changed.connect(
                receivers.forget_cached_bonus_campaigns,
                sender=through,
                dispatch_uid=f"bonus-m2m-{through}",
            )
