"""State changes of the campaigns app."""

from .automations import (
    DryRun,
    RunProgress,
    automation_dry_run,
    automation_fulfil_left_over,
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
    DeliveryBusy,
    deliveries_fulfil,
    deliveries_send_chunk,
    delivery_give_up,
    delivery_process,
    delivery_queue,
    delivery_send,
)
from .events import (
    on_member_enrolled,
    on_purchase_recorded,
    on_refund_recorded,
    on_tier_changed,
)
from .retention import personal_data_purge
from .staff import automation_set_active, delivery_resend_by_staff
from .stats import member_stats_record_purchase, member_stats_record_refund, member_stats_refresh
from .surveys import survey_answer, survey_next_due

__all__ = [
    "MAX_SEND_ATTEMPTS",
    "DeliveryBusy",
    "DryRun",
    "RunProgress",
    "automation_dry_run",
    "automation_fulfil_left_over",
    "automation_run",
    "automation_set_active",
    "automations_cache_clear",
    "automations_run_due",
    "conversions_record",
    "deliveries_fulfil",
    "deliveries_send_chunk",
    "delivery_create_for_event",
    "delivery_give_up",
    "delivery_process",
    "delivery_queue",
    "delivery_resend_by_staff",
    "delivery_send",
    "live_event_automations",
    "member_stats_record_purchase",
    "member_stats_record_refund",
    "member_stats_refresh",
    "on_member_enrolled",
    "on_purchase_recorded",
    "on_refund_recorded",
    "on_tier_changed",
    "period_key",
    "personal_data_purge",
    "survey_answer",
    "survey_next_due",
]
