"""State changes of the campaigns app."""

from .automations import (
    RunProgress,
    automation_fulfil_left_over,
    automation_run,
    automations_cache_clear,
    automations_run_due,
    delivery_create_for_event,
    live_event_automations,
    period_key,
)
from .bonus_audiences import (
    audience_contains,
    bonus_audience_count,
    bonus_audience_results_refresh,
    bonus_audiences_refresh_due,
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
from .dry_run import (
    DEFAULT_UPLIFT_POINTS,
    DryRun,
    PowerEstimate,
    automation_dry_run,
    power_estimate,
    sample_member,
)
from .escalations import (
    JOB_ESCALATION_SEND,
    StepResponse,
    escalation_response,
    escalations_queue_due,
    escalations_send,
)
from .events import (
    on_member_enrolled,
    on_purchase_recorded,
    on_purchases_imported,
    on_refund_recorded,
    on_tier_changed,
)
from .messages import JOB_TEST_MESSAGE, automation_test_queue, automation_test_send
from .retention import personal_data_purge
from .staff import automation_set_active, delivery_resend_by_staff
from .stats import member_stats_record_purchase, member_stats_record_refund, member_stats_refresh
from .surveys import (
    JOB_SATISFACTION_SEND,
    satisfaction_answer,
    satisfaction_invitations_queue,
    satisfaction_invitations_send,
    satisfaction_next_due,
    satisfaction_purchase_for,
    survey_answer,
    survey_is_open_to,
    survey_next_due,
    survey_points,
)
from .unwinding import JOB_UNWIND, deliveries_unwind_for_purchase

__all__ = [
    "audience_contains",
    "bonus_audience_count",
    "bonus_audience_results_refresh",
    "bonus_audiences_refresh_due",
    "JOB_UNWIND",
    "deliveries_unwind_for_purchase",
    "JOB_ESCALATION_SEND",
    "StepResponse",
    "escalation_response",
    "escalations_queue_due",
    "escalations_send",
    "JOB_SATISFACTION_SEND",
    "JOB_TEST_MESSAGE",
    "MAX_SEND_ATTEMPTS",
    "DeliveryBusy",
    "DEFAULT_UPLIFT_POINTS",
    "DryRun",
    "PowerEstimate",
    "RunProgress",
    "automation_dry_run",
    "power_estimate",
    "automation_fulfil_left_over",
    "automation_run",
    "automation_set_active",
    "automation_test_queue",
    "automation_test_send",
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
    "on_purchases_imported",
    "on_refund_recorded",
    "on_tier_changed",
    "period_key",
    "personal_data_purge",
    "sample_member",
    "satisfaction_answer",
    "satisfaction_invitations_queue",
    "satisfaction_invitations_send",
    "satisfaction_next_due",
    "satisfaction_purchase_for",
    "survey_answer",
    "survey_is_open_to",
    "survey_next_due",
    "survey_points",
]
