"""Bonus-point campaigns join the earning engine as a bonus provider (see points.earning).

A campaign is evaluated like an earning rule, by the same functions (`qualifying_amount`,
`extra_points`); it adds only its period, tiers and segment as conditions, and its holdout: a
member the campaign holds out (`campaigns.assignment.bonus_held_out`, one hash, no query) gets no
line from it, at purchase and in a quote alike.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import Member
from core.config_cache import cached_config, forget_config
from points.earning import ExplanationLine, Scope, extra_points, qualifying_amount
from points.extensions import BonusContext
from points.selectors import points_money_value

from .assignment import bonus_held_out
from .models import BonusCampaign
from .models.budgets import Budget

CACHE_KEY = "campaigns:bonus-campaigns"


@dataclass(frozen=True)
class CampaignSpec:
    id: int
    kind: str
    name_nl: str
    name_en: str
    multiplier: Decimal
    bonus_points: int
    minimum_spend: Decimal
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    scope: Scope
    tier_ids: frozenset[int]
    segment_id: int | None
    budget: Budget
    holdout_percent: int = 0


def _load_campaigns() -> list[CampaignSpec]:
    return [
        CampaignSpec(
            id=campaign.pk,
            kind=campaign.kind,
            name_nl=campaign.name_nl,
            name_en=campaign.name_en,
            multiplier=campaign.multiplier,
            bonus_points=campaign.bonus_points,
            minimum_spend=campaign.minimum_spend,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            scope=Scope.of(campaign),
            tier_ids=frozenset(tier.pk for tier in campaign.tiers.all()),
            segment_id=campaign.segment_id,
            budget=Budget.of(campaign),
            holdout_percent=campaign.holdout_percent,
        )
        # In one order everywhere: a purchase locks the budget rows of its campaigns in it.
        for campaign in BonusCampaign.objects.filter(is_active=True)
        .order_by("-starts_at", "pk")
        .prefetch_related("stores", "tiers")
    ]


def active_campaigns() -> list[CampaignSpec]:
    return cached_config(CACHE_KEY, _load_campaigns)


def bonus_campaigns_cache_clear() -> None:
    forget_config(CACHE_KEY)


def in_segment(segment_id: int, member_id: int | None) -> bool:
    from .models import Segment
    from .selectors import segment_members

    if member_id is None:
        return False
    segment = Segment.objects.get(pk=segment_id)
    return segment_members(segment, base=Member.objects.filter(pk=member_id)).exists()


def _within_budget(campaign: CampaignSpec, points: int, context: BonusContext) -> bool:
    """Whether the campaign's euro budget pays for these points. A purchase being recorded
    spends it (locking the budget rows in the purchase's transaction); a quote only looks."""
    from .selectors import budget_state
    from .services.budgets import budget_take

    cost = points_money_value(points)
    if context.is_final:
        return budget_take(campaign.budget, unit_cost=cost, wanted=1) == 1
    left = budget_state(campaign.budget).left
    return left is None or left >= cost


def campaign_bonus_lines(context: BonusContext) -> list[ExplanationLine]:
    """Each campaign in force at the purchase time, for its scope, is one explanation line."""
    basket = context.basket
    lines = []
    for campaign in active_campaigns():
        if not (campaign.starts_at <= basket.occurred_at < campaign.ends_at):
            continue
        if campaign.tier_ids and basket.tier_id not in campaign.tier_ids:
            continue
        eligible = qualifying_amount(campaign.scope, basket, campaign.minimum_spend)
        if eligible is None:
            continue
        # Before the segment (a query): a held-out member costs one hash and nothing else.
        if (
            campaign.holdout_percent
            and basket.member_id is not None
            and bonus_held_out(
                campaign_id=campaign.id,
                member_id=basket.member_id,
                holdout_percent=campaign.holdout_percent,
            )
        ):
            continue
        if campaign.segment_id and not in_segment(campaign.segment_id, basket.member_id):
            continue
        points = extra_points(
            kind=campaign.kind,
            eligible=eligible,
            base_rate=context.base_rate,
            multiplier=campaign.multiplier,
            bonus_points=campaign.bonus_points,
        )
        if points and campaign.budget.is_set and not _within_budget(campaign, points, context):
            continue
        if points:
            lines.append(
                ExplanationLine(
                    "campaign",
                    campaign.id,
                    context.labels(campaign.name_nl, campaign.name_en),
                    points,
                )
            )
    return lines
