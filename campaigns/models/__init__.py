"""The campaigns app's models, by subdomain; import them from here."""

from .automations import (
    Automation,
    AutomationQuerySet,
    AutomationRun,
    Delivery,
    EscalationSend,
    EscalationStep,
    MessageChannel,
    OutboundMessage,
    Trigger,
)
from .segments import SCORE, BonusCampaign, MemberStats, Segment
from .surveys import (
    SatisfactionChannel,
    SatisfactionInvitation,
    SatisfactionResponse,
    SurveyResponse,
)

__all__ = [
    "SCORE",
    "Automation",
    "AutomationQuerySet",
    "AutomationRun",
    "BonusCampaign",
    "Delivery",
    "EscalationSend",
    "EscalationStep",
    "MemberStats",
    "MessageChannel",
    "OutboundMessage",
    "SatisfactionChannel",
    "SatisfactionInvitation",
    "SatisfactionResponse",
    "Segment",
    "SurveyResponse",
    "Trigger",
]
