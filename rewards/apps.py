from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    name = "rewards"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        from points.extensions import register_checkout_hook, register_ledger_check

        from . import receivers  # noqa: F401
        from .selectors import store_credit_ledger_problems
        from .services import RewardsCheckoutHook

        register_checkout_hook(RewardsCheckoutHook())
        register_ledger_check("store credit", store_credit_ledger_problems)
