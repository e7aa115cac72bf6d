"""The campaigns app's models, by subdomain; import them from here."""

from .automations import (
    Automation,
    AutomationQuerySet,
    AutomationRun,
    Delivery,
    MessageChannel,
    OutboundMessage,
    Trigger,
)
from .segments import SCORE, BonusCampaign, MemberStats, Segment
from .summaries import ActivitySpell, DailyCount, KpiRefresh, MemberMilestone, RfmCell
from .surveys import SurveyResponse

__all__ = [
    "SCORE",
    "ActivitySpell",
    "Automation",
    "AutomationQuerySet",
    "AutomationRun",
    "BonusCampaign",
    "DailyCount",
    "Delivery",
    "KpiRefresh",
    "MemberMilestone",
    "MemberStats",
    "MessageChannel",
    "OutboundMessage",
    "RfmCell",
    "Segment",
    "SurveyResponse",
    "Trigger",
]
