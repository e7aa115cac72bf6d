"""Forecast costs (#19), priced from what members really do, not from face value.

- `code_redemption_rate`: the share of similar codes that were used (the dry run multiplies a
  reward's cost by it).
- `bonus_campaign_forecast`: what a bonus campaign's points would cost over its window: the
  qualifying spend of its eligible members in the last comparable period, × the extra points
  per euro (a multiplier) or the bonus per qualifying purchase (a fixed bonus), × the point
  value.

Reads only.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Lower
from django.utils import timezone

from accounts.models import Member
from points.earning import split_codes
from points.models import Purchase, PurchaseLine
from points.selectors import earning_rules_active, points_money_value
from rewards.models import IssuedReward, Reward
from rewards.selectors import code_fates

from .. import selectors
from ..models import BonusCampaign

HISTORY_DAYS = 365
# Fewer decided codes than this: the next wider group of similar codes.
REDEMPTION_MIN_CODES = 30
CENT = Decimal("0.01")
AMOUNT = DecimalField(max_digits=14, decimal_places=4)


@dataclass(frozen=True)
class RedemptionRate:
    percent: Decimal | None  # None: no history, every code assumed used
    source: str  # reward: this reward's codes; kind: codes of its kind; assumed
    decided: int  # codes the rate is learnt from

    @property
    def share(self) -> Decimal:
        return Decimal("1") if self.percent is None else self.percent / 100


def code_redemption_rate(reward: Reward, *, now: datetime.datetime) -> RedemptionRate:
    """The share of similar codes used, of those decided (used, or expired unused) in the last
    year: this reward's codes given by automations, else (fewer than 30) codes of its kind given
    by automations, else none (every code assumed used: the cautious figure). Codes bought with
    points are left out: a member who paid for a code nearly always uses it."""
    since = now - datetime.timedelta(days=HISTORY_DAYS)
    given = IssuedReward.objects.filter(source=IssuedReward.Source.CAMPAIGN)
    for source, codes in (
        ("reward", given.filter(reward=reward)),
        ("kind", given.filter(reward__kind=reward.kind)),
    ):
        fates = code_fates(since=since, now=now, codes=codes)
        if fates.decided >= REDEMPTION_MIN_CODES:
            return RedemptionRate(fates.used_percent, source, fates.decided)
    return RedemptionRate(None, "assumed", 0)


@dataclass(frozen=True)
class BonusForecast:
    compared_from: datetime.datetime  # the last comparable period: as long as the window
    compared_until: datetime.datetime
    members: int  # eligible now (active, tiers, segment)
    buyers: int  # of those, bought within the scope in the comparable period
    purchases: int  # qualifying purchases in it
    qualifying_spend: Decimal  # what those purchases paid within the scope
    base_rate: Decimal  # base points per euro (a multiplier adds (m − 1) × this per euro)
    points: int  # for the members not held out
    cost: Decimal  # euros, at the point value
    holdout_percent: int  # the share held out, who get none of the campaign's points
    budget_total: Decimal | None
    budget_per_day: Decimal | None
    window_days: Decimal

    @property
    def cost_per_day(self) -> Decimal:
        if not self.window_days:
            return self.cost
        return (self.cost / self.window_days).quantize(CENT)

    @property
    def over_total(self) -> bool:
        return self.budget_total is not None and self.cost > self.budget_total

    @property
    def over_per_day(self) -> bool:
        return self.budget_per_day is not None and self.cost_per_day > self.budget_per_day


def _eligible_members(campaign: BonusCampaign, now: datetime.datetime) -> QuerySet[Member]:
    members = Member.objects.filter(status=Member.Status.ACTIVE)
    tier_ids = [tier.pk for tier in campaign.tiers.all()]
    if tier_ids:
        members = members.filter(point_account__tier_id__in=tier_ids)
    if campaign.segment is not None:
        members = selectors.segment_members(campaign.segment, now=now, base=members)
    return members


def _base_rate(at: datetime.datetime) -> Decimal:
    """The points per euro of the base rule in force at `at` (the highest priority first, as
    the earning picks it; its scope not considered)."""
    rules = sorted(
        (rule for rule in earning_rules_active() if rule.kind == "base_rate"),
        key=lambda rule: (-rule.priority, rule.id),
    )
    return next((rule.points_per_unit for rule in rules if rule.is_in_force(at)), Decimal("0"))


def bonus_campaign_forecast(
    campaign: BonusCampaign, *, now: datetime.datetime | None = None
) -> BonusForecast:
    """What the campaign's points would cost over its window, priced from the last comparable
    period (as long as the window, ending when it starts, or now if that is still ahead; a
    running campaign is not compared with its own days, which its points may change): the
    purchases the campaign would have covered then — its stores, channel, categories or SKUs,
    minimum spend, and the members it covers now (active, its tiers, its segment) — with the
    points it would have added to them, less the share its holdout keeps from them. Refunds
    and the rounding of each purchase's points are left out. The campaign must be saved (its
    stores and tiers)."""
    now = now or timezone.now()
    window = campaign.ends_at - campaign.starts_at
    until = min(now, campaign.starts_at)
    since = until - window
    members = _eligible_members(campaign, now)
    purchases = Purchase.objects.filter(
        occurred_at__gte=since, occurred_at__lt=until, member__in=members
    )
    store_ids = [store.pk for store in campaign.stores.all()]
    if store_ids:
        purchases = purchases.filter(store_id__in=store_ids)
    if campaign.channel:
        purchases = purchases.filter(channel=campaign.channel)
    # What points are earned on: after discounts, without store credit.
    paid = ExpressionWrapper(
        F("amount") - F("discount_total") - F("store_credit_used"), output_field=AMOUNT
    )
    categories, skus = split_codes(campaign.categories), split_codes(campaign.skus)
    if categories or skus:
        in_scope = (
            PurchaseLine.objects.annotate(lower_category=Lower("category"), lower_sku=Lower("sku"))
            .filter(
                Q(lower_category__in=categories) | Q(lower_sku__in=skus), purchase=OuterRef("pk")
            )
            .order_by()
            .values("purchase")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        # The lines in scope × the share of the basket paid (discounts spread over the lines).
        # Divided in floating point: SQLite stores whole euros as integers and would divide
        # them as integers (€ 10 × 20 / 30 = 6, not 6.67); a forecast needs no exact cents.
        eligible: Case | ExpressionWrapper = Case(
            When(
                amount__gt=0,
                then=Cast(
                    Coalesce(Subquery(in_scope, output_field=AMOUNT), Value(Decimal("0"))) * paid,
                    FloatField(),
                )
                / Cast(F("amount"), FloatField()),
            ),
            default=Value(0.0),
            output_field=FloatField(),
        )
    else:
        eligible = paid
    qualifying = purchases.annotate(eligible=eligible).filter(
        eligible__gt=0, eligible__gte=campaign.minimum_spend
    )
    figures = qualifying.aggregate(
        count=Count("pk"), buyers=Count("member_id", distinct=True), spend=Sum("eligible")
    )
    spend = Decimal(str(figures["spend"] or 0)).quantize(CENT)
    base_rate = _base_rate(campaign.starts_at)
    if campaign.kind == BonusCampaign.Kind.MULTIPLIER:
        everyone = spend * base_rate * (campaign.multiplier - 1)
    else:
        everyone = Decimal(campaign.bonus_points * figures["count"])
    # The members held out (drawn at random) get none: the expected share of the points.
    points = int(everyone * (100 - campaign.holdout_percent) / 100)
    return BonusForecast(
        compared_from=since,
        compared_until=until,
        members=members.count(),
        buyers=figures["buyers"],
        purchases=figures["count"],
        qualifying_spend=spend,
        base_rate=base_rate,
        points=points,
        cost=points_money_value(points),
        holdout_percent=campaign.holdout_percent,
        budget_total=campaign.budget_total,
        budget_per_day=campaign.budget_per_day,
        window_days=Decimal(window.total_seconds() / 86400).quantize(Decimal("0.01")),
    )
