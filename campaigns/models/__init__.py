"""The campaigns app's models, by subdomain; import them from here."""

from .automations import (
    Automation,
    AutomationArm,
    AutomationQuerySet,
    AutomationRun,
    Delivery,
    EscalationSend,
    EscalationStep,
    MessageChannel,
    OutboundMessage,
    Trigger,
)
from .budgets import BudgetSpend
from .segments import SCORE, BonusAudience, BonusCampaign, MemberStats, Segment
from .surveys import (
    NPS_HIGHEST,
    NPS_LOWEST,
    NpsCategory,
    SatisfactionChannel,
    SatisfactionInvitation,
    SatisfactionResponse,
    SurveyResponse,
)

__all__ = [
    "NPS_HIGHEST",
    "NPS_LOWEST",
    "SCORE",
    "NpsCategory",
    "Automation",
    "AutomationArm",
    "AutomationQuerySet",
    "AutomationRun",
    "BonusAudience",
    "BonusCampaign",
    "BudgetSpend",
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
