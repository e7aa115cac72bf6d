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
from .surveys import SurveyResponse

__all__ = [
    "SCORE",
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
