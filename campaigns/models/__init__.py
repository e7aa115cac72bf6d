"""The campaigns app's models, by subdomain; import them from here."""

from .automations import (
    Automation,
    AutomationArm,
    AutomationQuerySet,
    AutomationRun,
    Delivery,
    MessageChannel,
    OutboundMessage,
    Trigger,
)
from .segments import SCORE, BonusCampaign, MemberStats, Segment
from .surveys import NPS_HIGHEST, NPS_LOWEST, NpsCategory, SurveyResponse

__all__ = [
    "NPS_HIGHEST",
    "NPS_LOWEST",
    "SCORE",
    "NpsCategory",
    "Automation",
    "AutomationArm",
    "AutomationQuerySet",
    "AutomationRun",
    "BonusCampaign",
    "Delivery",
    "MemberStats",
    "MessageChannel",
    "OutboundMessage",
    "Segment",
    "SurveyResponse",
    "Trigger",
]
