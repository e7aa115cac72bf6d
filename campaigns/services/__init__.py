"""State changes of the campaigns app."""

from .automations import (
    DryRun,
    RunProgress,
    automation_dry_run,
    automation_run,
    automations_cache_clear,
    automations_run_due,
    delivery_create_for_event,
    live_event_automations,
    period_key,
)
from .conversions import conversions_record
from .deliveries import (
    MAX_SEND_ATTEMPTS,
    deliveries_fulfil,
    delivery_give_up,
    delivery_resend,
    delivery_send,
)
from .stats import member_stats_record_purchase, member_stats_record_refund, member_stats_refresh

__all__ = [
    "MAX_SEND_ATTEMPTS",
    "DryRun",
    "RunProgress",
    "automation_dry_run",
    "automation_run",
    "automations_cache_clear",
    "automations_run_due",
    "conversions_record",
    "deliveries_fulfil",
    "delivery_create_for_event",
    "delivery_give_up",
    "delivery_resend",
    "delivery_send",
    "live_event_automations",
    "member_stats_record_purchase",
    "member_stats_record_refund",
    "member_stats_refresh",
    "period_key",
]
