"""The dry run of an automation: who would get it now, who would get a message, what it costs.

Reads only. The audience is the run's (`selectors.audience` over the trigger's members), cut to
the budget in the order a run takes members (by id), so the sample, the consent split and the
cost are those of the members a run would reach.
"""

import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Greatest
from django.utils import timezone

from accounts.models import Member
from core import stats
from points.models import LoyaltyProgram, Purchase
from rewards.models import RewardKind

from .. import messaging, selectors
from ..models import Automation, Delivery, Trigger
from ..models.budgets import Budget
from .forecasts import RedemptionRate, code_redemption_rate

SAMPLE_SIZE = 10
# The members' usual basket: their average purchase; the programme's average purchase of this
# many days for members who never bought.
BASKET_DAYS = 365
CENT = Decimal("0.01")


@dataclass(frozen=True)
class DryRunMember:
    pk: int
    name: str
    card_number: str
    channel: str | None  # the channel their message would go by; None = reward only
    skip_reason: str | None  # why no message: no_consent, no_address, no_message


@dataclass(frozen=True)
class DryRun:
    members: int  # qualify now
    budget_left: int | None
    would_get: int  # after the budget
    with_message: int
    no_consent: int  # the reward, no message: no consent for the channel
    no_address: int  # the reward, no message: consent but no address
    out_of_stock: int  # would be left without a code: the reward's stock runs out
    reward_cost: Decimal  # euros, if every reward given is used once
    pricing: str  # how reward_cost was estimated: fixed, percentage, free_product, unpriced, none
    average_basket: Decimal | None  # percentage: the programme's, for members who never bought
    without_history: int  # percentage: members priced at the programme's average
    bonus_points: int
    points_cost: Decimal
    is_event_trigger: bool
    sample: list[DryRunMember] = field(default_factory=list)
    power: "PowerEstimate | None" = None
    money_left: Decimal | None = None  # euros the budgets leave today; None: no euro budget
    stops_after: int | None = None  # members the euro budget pays for, when fewer than would_get
    # Codes: the share of similar codes used (forecasts.code_redemption_rate); store credit is
    # always used. `expected_reward_cost` = reward_cost × that share: what it should really cost.
    redemption: RedemptionRate | None = None
    expected_reward_cost: Decimal | None = None

    @property
    def expected_cost(self) -> Decimal:
        """Rewards as expected to be used, plus the bonus points."""
        rewards = (
            self.reward_cost if self.expected_reward_cost is None else self.expected_reward_cost
        )
        return rewards + self.points_cost


@dataclass(frozen=True)
class PowerEstimate:
    """How many members the holdout comparison needs to detect a chosen uplift in conversion
    (two-sided, alpha 5 %, power 80 %; docs/kpis.md)."""

    uplift_points: Decimal  # the rise in conversion to detect, in percentage points
    baseline_percent: Decimal  # the conversion rate expected without the offer
    baseline_source: str  # holdout: this automation's holdout; sent: its offers; assumed
    holdout_percent: int
    per_group: int | None  # members needed in each group with equal groups; None: impossible
    audience: int | None  # members needed in all at this holdout share; None: no holdout
    would_get: int  # members who would get it now (the holdout included)
    would_hold_out: int  # of those, held out

    @property
    def enough_now(self) -> bool:
        """Whether the members who would get it now are enough."""
        return self.audience is not None and self.audience <= self.would_get


def _candidates(automation: Automation, now: datetime.datetime) -> QuerySet[Member]:
    if automation.trigger in Trigger.scheduled():
        base = selectors.trigger_audience(automation, now=now)
    else:
        base = Member.objects.filter(status=Member.Status.ACTIVE)
    return selectors.audience(automation, base, now=now)


def _consented(automation: Automation) -> Q:
    channels = (
        messaging.CHANNEL_FALLBACK if automation.channel == "preferred" else [automation.channel]
    )
    condition = Q(pk__in=[])
    for channel in channels:
        condition |= Q(**{f"{channel}_consent_at__isnull": False})
    return condition


def _figures(automation: Automation, members: QuerySet[Member], limit: int | None) -> dict:
    """Counts and basket sums over the first `limit` members (all when None), in one pass: the
    flags are worked out per member in a subquery that takes the first `limit`, then summed."""
    none = Q(pk__in=[])
    messaging_off = automation.channel == "none"
    reachable = none if messaging_off else selectors.reachable_for(automation)
    consented = none if messaging_off else _consented(automation)
    bought = Q(stats__purchase_count__gt=0)
    reward = automation.reward
    # A code is used on a basket of at least its minimum spend. In floats: SQLite would divide
    # a whole-euro total as integers; cents are all the estimate needs.
    floor = Value(float(reward.minimum_spend if reward else 0), output_field=FloatField())
    usual = Cast("stats__total_spend", FloatField()) / F("stats__purchase_count")

    def flag(condition: Q) -> Case:
        return Case(When(condition, then=1), default=0, output_field=IntegerField())

    flagged = members.order_by("pk").annotate(
        is_reachable=flag(reachable),
        is_consented=flag(consented),
        has_bought=flag(bought),
        basket=Case(When(bought, then=Greatest(usual, floor)), output_field=FloatField()),
    )
    if limit is not None:
        flagged = flagged[:limit]
    figures = flagged.aggregate(
        total=Count("pk"),
        with_message=Sum("is_reachable"),
        consented=Sum("is_consented"),
        with_history=Sum("has_bought"),
        baskets=Sum("basket"),
    )
    return {key: value or 0 for key, value in figures.items()}


def _price(automation: Automation, figures: dict, rewarded: int, now) -> tuple:
    """(cost, pricing, programme average basket, members priced at it)."""
    reward = automation.reward
    if reward is None or not rewarded:
        return Decimal("0.00"), "none", None, 0
    if reward.kind != RewardKind.PERCENTAGE_DISCOUNT:
        if reward.kind == RewardKind.FREE_PRODUCT and not reward.value:
            return Decimal("0.00"), "unpriced", None, 0
        pricing = "free_product" if reward.kind == RewardKind.FREE_PRODUCT else "fixed"
        return (reward.value * rewarded).quantize(CENT), pricing, None, 0
    total = figures["total"] or 1
    # When the stock runs out, the first `rewarded` get a code: priced as that share of all.
    share = Decimal(rewarded) / Decimal(total)
    with_history = figures["with_history"] or 0
    without = total - with_history
    baskets = Decimal(str(figures["baskets"] or 0))
    average = None
    if without:
        average = Purchase.objects.filter(
            occurred_at__gte=now - datetime.timedelta(days=BASKET_DAYS)
        ).aggregate(average=Avg("amount"))["average"]
        average = max(Decimal(average or 0), reward.minimum_spend).quantize(CENT)
        baskets += average * without
    cost = (baskets * share * reward.value / 100).quantize(CENT)
    return cost, "percentage", average, round(without * share)


DEFAULT_UPLIFT_POINTS = Decimal("5")
ASSUMED_BASELINE = 0.10  # without history of this automation
BASELINE_MIN_DELIVERIES = 30  # less history than this: the assumed baseline


def _baseline(automation: Automation) -> tuple[float, str]:
    """The conversion rate without the offer: the holdout's so far, else the offers' so far
    (an overestimate of the baseline, so a safe one for the sample), else assumed."""
    for status, source in ((Delivery.Status.HELD_OUT, "holdout"), (Delivery.Status.SENT, "sent")):
        counts = Delivery.objects.filter(automation=automation, status=status).aggregate(
            total=Count("pk"), converted=Count("pk", filter=Q(converted_at__isnull=False))
        )
        if counts["total"] >= BASELINE_MIN_DELIVERIES:
            return counts["converted"] / counts["total"], source
    return ASSUMED_BASELINE, "assumed"


def power_estimate(
    automation: Automation, *, uplift_points: Decimal, would_get: int
) -> PowerEstimate:
    """The sample needed to detect `uplift_points` more conversion than the baseline."""
    baseline, source = _baseline(automation)
    uplift = float(uplift_points) / 100
    try:
        per_group: int | None = stats.sample_size_per_group(baseline, uplift)
    except ValueError:
        per_group = None
    share = automation.holdout_percent / 100
    audience = None
    if per_group is not None and 0 < share < 1:
        # Unequal groups: the total whose difference is as precise as two groups of per_group
        # (1/(hN) + 1/((1−h)N) = 2/n).
        audience = math.ceil(per_group * (1 / share + 1 / (1 - share)) / 2)
    return PowerEstimate(
        uplift_points=uplift_points,
        baseline_percent=Decimal(baseline * 100).quantize(Decimal("0.1")),
        baseline_source=source,
        holdout_percent=automation.holdout_percent,
        per_group=per_group,
        audience=audience,
        would_get=would_get,
        would_hold_out=round(would_get * share),
    )


def automation_dry_run(
    automation: Automation,
    *,
    now: datetime.datetime | None = None,
    uplift_points: Decimal = DEFAULT_UPLIFT_POINTS,
) -> DryRun:
    """Who would get the automation now, by message or reward only, and what it would cost.
    Writes nothing. Two passes over the audience: how many qualify, then the counts and
    baskets of those the budget lets through (one pass when there is no budget)."""
    now = now or timezone.now()
    candidates = _candidates(automation, now)
    left = selectors.budget_left(automation, now=now)
    if left is None:
        figures = _figures(automation, candidates, None)
        count = would_get = figures["total"]
    else:
        count = candidates.count()
        would_get = min(count, left)
        figures = _figures(automation, candidates, would_get if would_get < count else None)
    with_message, consented = figures["with_message"], figures["consented"]
    reward = automation.reward
    rewarded = would_get
    if reward is not None and reward.gives_code and reward.stock is not None:
        rewarded = min(would_get, reward.stock)
    cost, pricing, average, without = _price(automation, figures, rewarded, now)
    point_value = LoyaltyProgram.current().point_value
    sample = []
    for member in candidates.order_by("pk")[: min(SAMPLE_SIZE, would_get)]:
        channel, reason = messaging.channel_for(member, automation.channel)
        sample.append(
            DryRunMember(
                pk=member.pk,
                name=f"{member.first_name} {member.last_name}".strip(),
                card_number=member.card_number,
                channel=channel,
                skip_reason=reason,
            )
        )
    points_cost = (point_value * automation.bonus_points * would_get).quantize(CENT)
    redemption = expected = None
    if reward is not None and reward.gives_code and pricing != "none":
        redemption = code_redemption_rate(reward, now=now)
        expected = (cost * redemption.share).quantize(CENT)
    money_left = selectors.budget_state(Budget.of(automation), now=now).left
    return DryRun(
        members=count,
        budget_left=left,
        would_get=would_get,
        with_message=with_message,
        no_consent=0 if automation.channel == "none" else would_get - consented,
        no_address=consented - with_message,
        out_of_stock=would_get - rewarded,
        reward_cost=cost,
        pricing=pricing,
        average_basket=average,
        without_history=without,
        bonus_points=automation.bonus_points * would_get,
        points_cost=points_cost,
        is_event_trigger=automation.trigger not in Trigger.scheduled(),
        sample=sample,
        power=power_estimate(automation, uplift_points=uplift_points, would_get=would_get),
        money_left=money_left,
        stops_after=_stops_after(money_left, cost + points_cost, would_get),
        redemption=redemption,
        expected_reward_cost=expected,
    )


def _stops_after(money_left: Decimal | None, cost: Decimal, would_get: int) -> int | None:
    """How many members the euro budget left pays for at the forecast's average cost per
    member, when that is fewer than would get it; None when it pays for all."""
    if money_left is None or not would_get or cost <= money_left:
        return None
    per_member = cost / would_get
    return int(money_left // per_member)


def first_recipient(automation: Automation) -> int | None:
    """The id of the first member a run would reach now, if any."""
    return (
        _candidates(automation, timezone.now()).order_by("pk").values_list("pk", flat=True).first()
    )


def sample_member(member_id: int | None) -> Member:
    """Whom the preview and the test speak to: that member, or a made-up one (not saved) when
    nobody qualifies."""
    member = (
        Member.objects.select_related("point_account__tier").filter(pk=member_id).first()
        if member_id is not None
        else None
    )
    return member or Member(first_name="Sara", last_name="de Vries", card_number="2000000000017")
