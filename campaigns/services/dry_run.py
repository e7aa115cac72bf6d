"""The dry run of an automation: who would get it now, who would get a message, what it costs.

Reads only. The audience is the run's (`selectors.audience` over the trigger's members), cut to
the budget in the order a run takes members (by id), so the sample, the consent split and the
cost are those of the members a run would reach.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, F, FloatField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Greatest
from django.utils import timezone

from accounts.models import Member
from points.models import LoyaltyProgram, Purchase
from rewards.models import RewardKind

from .. import messaging, selectors
from ..models import Automation, Trigger

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


def _price(automation: Automation, chosen: QuerySet[Member], rewarded: int, now) -> tuple:
    """(cost, pricing, programme average basket, members priced at it)."""
    reward = automation.reward
    if reward is None or not rewarded:
        return Decimal("0.00"), "none", None, 0
    if reward.kind != RewardKind.PERCENTAGE_DISCOUNT:
        if reward.kind == RewardKind.FREE_PRODUCT and not reward.value:
            return Decimal("0.00"), "unpriced", None, 0
        pricing = "free_product" if reward.kind == RewardKind.FREE_PRODUCT else "fixed"
        return (reward.value * rewarded).quantize(CENT), pricing, None, 0
    # A code is used on a basket of at least its minimum spend. In floats: SQLite would divide
    # a whole-euro total as integers; cents are all the estimate needs.
    floor = Value(float(reward.minimum_spend), output_field=FloatField())
    usual = Cast("stats__total_spend", FloatField()) / F("stats__purchase_count")
    figures = chosen.aggregate(
        baskets=Sum(Greatest(usual, floor), filter=Q(stats__purchase_count__gt=0)),
        with_history=Count("pk", filter=Q(stats__purchase_count__gt=0)),
    )
    average = Purchase.objects.filter(
        occurred_at__gte=now - datetime.timedelta(days=BASKET_DAYS)
    ).aggregate(average=Avg("amount"))["average"]
    average = max(Decimal(average or 0), reward.minimum_spend).quantize(CENT)
    # The members a run would reach are the first `rewarded`: price only as many as get a code.
    with_history = min(figures["with_history"] or 0, rewarded)
    without = rewarded - with_history
    baskets = Decimal(str(figures["baskets"] or 0)) + average * without
    cost = (baskets * reward.value / 100).quantize(CENT)
    return cost, "percentage", average, without


def automation_dry_run(automation: Automation, *, now: datetime.datetime | None = None) -> DryRun:
    """Who would get the automation now, by message or reward only, and what it would cost.
    Writes nothing."""
    now = now or timezone.now()
    candidates = _candidates(automation, now)
    count = candidates.count()
    left = selectors.budget_left(automation, now=now)
    would_get = count if left is None else min(count, left)
    chosen = Member.objects.filter(
        pk__in=candidates.order_by("pk").values("pk")[:would_get]
    ).order_by("pk")
    if automation.channel == "none":
        with_message = consented = 0
    else:
        with_message = chosen.filter(selectors.reachable_for(automation)).count()
        consented = chosen.filter(_consented(automation)).count()
    reward = automation.reward
    rewarded = would_get
    if reward is not None and reward.gives_code and reward.stock is not None:
        rewarded = min(would_get, reward.stock)
    cost, pricing, average, without = _price(automation, chosen, rewarded, now)
    point_value = LoyaltyProgram.current().point_value
    sample = []
    for member in chosen[:SAMPLE_SIZE]:
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
    return DryRun(
        members=count,
        budget_left=left,
        would_get=would_get,
        with_message=with_message,
        no_consent=0 if automation.channel == "none" else would_get - consented,
        no_address=0 if automation.channel == "none" else consented - with_message,
        out_of_stock=would_get - rewarded,
        reward_cost=cost,
        pricing=pricing,
        average_basket=average,
        without_history=without,
        bonus_points=automation.bonus_points * would_get,
        points_cost=(point_value * automation.bonus_points * would_get).quantize(CENT),
        is_event_trigger=automation.trigger not in Trigger.scheduled(),
        sample=sample,
    )


def sample_member(automation: Automation) -> Member:
    """Whom the preview and the test speak to: the first member a run would reach now, or a
    made-up member (not saved) when nobody qualifies."""
    first = (
        _candidates(automation, timezone.now())
        .select_related("point_account__tier")
        .order_by("pk")
        .first()
    )
    return first or Member(first_name="Sara", last_name="de Vries", card_number="2000000000017")
