"""Audiences as database queries: segments, trigger conditions, reachability."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ConsentChange, Erasure, LoginToken, Member
from points.extensions import StampCardProgress
from points.models import Activity, LoyaltyProgram, PointAccount, PointsEntry, Purchase
from points.score import score_subquery
from points.selectors import Coverage, label_in_language, purchases_counting
from points.tiers import qualifying_entries
from rewards.models import IssuedReward, StoreCreditAccount

from . import attitude, bonus, lifecycle
from .models import (
    NPS_HIGHEST,
    NPS_LOWEST,
    Automation,
    BonusAudience,
    BudgetSpend,
    Delivery,
    Segment,
    SurveyResponse,
    Trigger,
)
from .models.budgets import TOTAL, Budget

CHANNEL_FALLBACK = getattr(settings, "LOYALTY_CHANNEL_FALLBACK", ["email", "whatsapp", "sms"])


def reachable_on(channel: str) -> Q:
    """Members with consent and an address for `channel`."""
    if channel == "email":
        return Q(email_consent_at__isnull=False, email__isnull=False)
    if channel in ("sms", "whatsapp"):
        return Q(**{f"{channel}_consent_at__isnull": False}, phone__isnull=False)
    return Q(pk__in=[])


def reachable_for(automation: Automation) -> Q:
    if automation.channel == "preferred":
        condition = Q(pk__in=[])
        for channel in CHANNEL_FALLBACK:
            condition |= reachable_on(channel)
        return condition
    if automation.channel == "none":
        return Q()
    return reachable_on(automation.channel)


def segment_members(
    segment: Segment, *, now: datetime.datetime | None = None, base: QuerySet | None = None
) -> QuerySet:
    """The members of a segment: every condition that is set must hold."""
    now = now or timezone.now()
    members = base if base is not None else Member.objects.all()
    if segment.min_points_balance is not None:
        members = members.filter(point_account__balance__gte=segment.min_points_balance)
    if segment.max_points_balance is not None:
        members = members.filter(point_account__balance__lte=segment.max_points_balance)
    tier_ids = list(segment.tiers.values_list("pk", flat=True))
    if tier_ids:
        members = members.filter(point_account__tier__in=tier_ids)
    if segment.min_days_since_last_purchase is not None:
        members = members.filter(
            lifecycle.dormant_members(now=now, days=segment.min_days_since_last_purchase)
        )
    if segment.max_days_since_last_purchase is not None:
        members = members.filter(
            lifecycle.bought_within(now=now, days=segment.max_days_since_last_purchase)
        )
    for field, lookup in (
        ("min_recency_score", "stats__recency_score__gte"),
        ("max_recency_score", "stats__recency_score__lte"),
        ("min_frequency_score", "stats__frequency_score__gte"),
        ("max_frequency_score", "stats__frequency_score__lte"),
        ("min_monetary_score", "stats__monetary_score__gte"),
        ("max_monetary_score", "stats__monetary_score__lte"),
    ):
        if getattr(segment, field) is not None:
            members = members.filter(**{lookup: getattr(segment, field)})
    if segment.consent_channel:
        members = members.filter(reachable_on(segment.consent_channel))
    members = _filter_by_engagement(members, segment, now)
    members = _filter_by_purchases_in_period(members, segment, now)
    if segment.attitude:
        members = attitude.members_with_attitude(members, now=now).filter(attitude=segment.attitude)
    if segment.behaviour:
        loyal = lifecycle.loyal_members(now=now, days=LoyaltyProgram.current().dormant_after_days)
        members = members.filter(loyal if segment.behaviour == "loyal" else ~loyal)
    return members


def _filter_by_engagement(members: QuerySet, segment: Segment, now) -> QuerySet:
    """The loyalty score, points earned ever and in the tier window, ladder stage and NPS."""
    if segment.min_score is not None or segment.max_score is not None:
        members = members.annotate(segment_score=score_subquery(now))
        if segment.min_score is not None:
            members = members.filter(segment_score__gte=segment.min_score)
        if segment.max_score is not None:
            members = members.filter(segment_score__lte=segment.max_score)
    if segment.min_lifetime_points is not None:
        earned = (
            PointsEntry.objects.filter(is_qualifying=True)
            .values("account_id")
            .annotate(total=Sum("points"))
            .filter(total__gte=segment.min_lifetime_points)
            .values("account_id")
        )
        members = members.filter(point_account__in=earned)
    if segment.min_qualifying_points is not None:
        in_window = (
            qualifying_entries(now)
            .values("account_id")
            .annotate(total=Sum("points"))
            .filter(total__gte=segment.min_qualifying_points)
            .values("account_id")
        )
        members = members.filter(point_account__in=in_window)
    if segment.ladder_stage:
        members = members.filter(ladder_stage_condition(segment.ladder_stage))
    if segment.nps_category:
        latest = (
            SurveyResponse.objects.filter(member_id=OuterRef("pk"))
            .order_by("-created_at", "-pk")
            .values("recommend_score")[:1]
        )
        members = members.annotate(segment_recommend=Subquery(latest)).filter(
            segment_recommend__gte=NPS_LOWEST[segment.nps_category],
            segment_recommend__lte=NPS_HIGHEST[segment.nps_category],
        )
    return members


def ladder_stage_condition(stage: str) -> Q:
    """Members on one rung of the ladder now, by `lifecycle.ladder_stage`'s rules: referred
    someone → ambassador; else by their purchase count (`MemberStats`)."""
    has_referred = Exists(Member.objects.filter(referred_by=OuterRef("pk")))
    if stage == "ambassador":
        return Q(has_referred)
    purchases = Coalesce(F("stats__purchase_count"), 0)
    bounds = {
        "new": (0, lifecycle.RETURNING_FROM_PURCHASE - 1),
        "returning": (lifecycle.RETURNING_FROM_PURCHASE, lifecycle.LOYAL_FROM_PURCHASE - 1),
        "loyal": (lifecycle.LOYAL_FROM_PURCHASE, None),
    }[stage]
    condition = ~Q(has_referred) & Q(
        pk__in=Member.objects.annotate(stage_purchases=purchases)
        .filter(stage_purchases__gte=bounds[0])
        .filter(Q(stage_purchases__lte=bounds[1]) if bounds[1] is not None else Q())
        .values("pk")
    )
    return condition


def _filter_by_purchases_in_period(members: QuerySet, segment: Segment, now) -> QuerySet:
    store_ids = list(segment.stores.values_list("pk", flat=True))
    has_minimum = (
        segment.min_purchases or segment.min_spend is not None or store_ids or segment.channel
    )
    has_maximum = segment.max_purchases is not None or segment.max_spend is not None
    if not (has_minimum or has_maximum):
        return members
    purchases = Purchase.objects.filter(
        occurred_at__gte=now - datetime.timedelta(days=segment.period_days)
    )
    if store_ids:
        purchases = purchases.filter(store__in=store_ids)
    if segment.channel:
        purchases = purchases.filter(channel=segment.channel)
    per_member = purchases.values("member").annotate(count=Count("pk"), spend=Sum("amount"))
    if not has_minimum:
        # Only upper limits: members without any purchase in the period belong too.
        over = Q(count__gt=segment.max_purchases) if segment.max_purchases is not None else Q()
        if segment.max_spend is not None:
            over = over | Q(spend__gt=segment.max_spend) if over else Q(spend__gt=segment.max_spend)
        return members.exclude(pk__in=per_member.filter(over).values("member"))
    if segment.min_purchases:
        per_member = per_member.filter(count__gte=segment.min_purchases)
    if segment.max_purchases is not None:
        per_member = per_member.filter(count__lte=segment.max_purchases)
    if segment.min_spend is not None:
        per_member = per_member.filter(spend__gte=segment.min_spend)
    if segment.max_spend is not None:
        per_member = per_member.filter(spend__lte=segment.max_spend)
    return members.filter(pk__in=per_member.values("member"))


def local_today(now: datetime.datetime) -> datetime.date:
    return timezone.localtime(now).date()


def trigger_audience(automation: Automation, *, now: datetime.datetime) -> QuerySet:
    """Members the scheduled trigger applies to right now (before cooldown and budget)."""
    members = Member.objects.filter(status=Member.Status.ACTIVE)
    if automation.trigger == Trigger.DORMANT:
        members = members.filter(lifecycle.dormant_members(now=now, days=automation.days or 0))
    elif automation.trigger == Trigger.BIRTHDAY:
        today = local_today(now)
        birthday = Q(birth_date__month=today.month, birth_date__day=today.day)
        is_leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
        if today.month == 2 and today.day == 28 and not is_leap:
            birthday |= Q(birth_date__month=2, birth_date__day=29)
        members = members.filter(birthday)
    elif automation.trigger == Trigger.POINTS_EXPIRING:
        until = now + datetime.timedelta(days=automation.days or 0)
        still_valid = (
            PointsEntry.objects.filter(account=OuterRef("point_account"), points__gt=0)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=until))
            .values("account")
            .annotate(total=Sum("points"))
            .values("total")
        )
        members = members.alias(still_valid=Coalesce(Subquery(still_valid), 0)).filter(
            point_account__balance__gt=F("still_valid")
        )
    else:
        raise ValueError(f"{automation.trigger} is not a scheduled trigger")
    return members


def audience(automation: Automation, members: QuerySet, *, now: datetime.datetime) -> QuerySet:
    """Applies what every automation applies: segment, reachability, cooldown."""
    if automation.segment is not None:
        members = segment_members(automation.segment, now=now, base=members)
    if automation.only_reachable:
        members = members.filter(reachable_for(automation))
    if automation.cooldown_days:
        recent = Delivery.objects.filter(
            automation=automation,
            member=OuterRef("pk"),
            created_at__gte=now - datetime.timedelta(days=automation.cooldown_days),
        ).exclude(unwound__in=GIVEN_BACK)
        members = members.exclude(Exists(recent))
    return members


# Deliveries a full refund of their purchase undid (#18): they hold no cooldown or budget.
GIVEN_BACK = (Delivery.Unwound.CANCELLED, Delivery.Unwound.REVERSED)


def delivered_count(automation: Automation, *, since: datetime.datetime | None = None) -> int:
    deliveries = Delivery.objects.filter(automation=automation).exclude(unwound__in=GIVEN_BACK)
    if since is not None:
        deliveries = deliveries.filter(created_at__gte=since)
    return deliveries.count()


def budget_left(automation: Automation, *, now: datetime.datetime) -> int | None:
    """How many more deliveries the budget allows now; None = unlimited."""
    left = []
    if automation.max_total is not None:
        left.append(automation.max_total - delivered_count(automation))
    if automation.max_per_day is not None:
        start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        left.append(automation.max_per_day - delivered_count(automation, since=start))
    return max(0, min(left)) if left else None


def deliveries_for(*, member: Member) -> QuerySet[Delivery]:
    """What automations gave the member, latest first, with the code and the purchase it led to."""
    return (
        Delivery.objects.filter(member=member)
        .select_related("automation", "issued_reward", "converted_purchase")
        .order_by("-created_at", "-pk")
    )


def survey_answers_for(*, member: Member) -> QuerySet[SurveyResponse]:
    """The member's survey answers, latest first."""
    return SurveyResponse.objects.filter(member=member).order_by("-created_at", "-pk")


BONUS_CAMPAIGNS_AHEAD_DAYS = 30


@dataclass(frozen=True)
class BonusOffer:
    """A bonus campaign as the member sees it: running now or starting within 30 days."""

    name: str
    kind: str  # BonusCampaign.Kind
    multiplier: Decimal
    bonus_points: int
    coverage: Coverage
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    is_running: bool


def bonus_offers_for(
    *, member: Member, tier_id: int | None, now: datetime.datetime | None = None
) -> list[BonusOffer]:
    """The bonus campaigns this member's purchases earn from now or within 30 days: those for
    their tier (or every tier) and segment (or everyone), soonest ending first."""
    now = now or timezone.now()
    horizon = now + datetime.timedelta(days=BONUS_CAMPAIGNS_AHEAD_DAYS)
    offers = []
    for campaign in bonus.active_campaigns():
        if campaign.ends_at <= now or campaign.starts_at > horizon:
            continue
        if campaign.tier_ids and tier_id not in campaign.tier_ids:
            continue
        if campaign.segment_id and not bonus.in_segment(campaign.segment_id, member.pk):
            continue
        offers.append(
            BonusOffer(
                name=label_in_language(campaign.name_nl, campaign.name_en),
                kind=campaign.kind,
                multiplier=campaign.multiplier,
                bonus_points=campaign.bonus_points,
                coverage=Coverage.of(campaign.scope, campaign.minimum_spend),
                starts_at=campaign.starts_at,
                ends_at=campaign.ends_at,
                is_running=campaign.starts_at <= now,
            )
        )
    return sorted(offers, key=lambda offer: (not offer.is_running, offer.ends_at))


@dataclass(frozen=True)
class ReferralTerms:
    """What a referral brings, from the referral automations in force."""

    referrer_rewards: tuple[str, ...]  # reward names
    referrer_points: int
    newcomer_rewards: tuple[str, ...]
    newcomer_points: int


def referral_terms(*, now: datetime.datetime | None = None) -> ReferralTerms | None:
    """What the member and the friend they bring get once the friend makes a first purchase;
    None when no referral automation is in force (the page then says so)."""
    now = now or timezone.now()
    automations = (
        Automation.objects.filter(is_active=True, trigger=Trigger.REFERRAL)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("reward")
        .order_by("pk")
    )
    referrer_rewards, newcomer_rewards = [], []
    referrer_points = newcomer_points = 0
    found = False
    for automation in automations:
        found = True
        name = automation.reward.translated("name") if automation.reward else ""
        if name:
            referrer_rewards.append(name)
        referrer_points += automation.bonus_points
        if automation.reward_newcomer:
            if name:
                newcomer_rewards.append(name)
            newcomer_points += automation.bonus_points
    if not found:
        return None
    return ReferralTerms(
        tuple(referrer_rewards), referrer_points, tuple(newcomer_rewards), newcomer_points
    )


@dataclass(frozen=True)
class ReferralCounts:
    joined: int  # friends who signed up with the member's code
    bought: int  # of them, those who made a purchase (the referral then pays out)


def referral_counts_for(*, member: Member) -> ReferralCounts:
    counts = Member.objects.filter(referred_by=member).aggregate(
        joined=Count("pk"),
        bought=Count("pk", filter=Exists(Purchase.objects.filter(member=OuterRef("pk")))),
    )
    return ReferralCounts(joined=counts["joined"], bought=counts["bought"])


def members_offered_for_erasure(*, now: datetime.datetime | None = None) -> QuerySet[Member]:
    """Members not yet erased who did nothing for the programme's `dormant_erasure_years`: no
    purchase, activity, sign-in, survey answer or consent change, and enrolled before then.
    Listed for managers to erase (storage limitation); none when the setting is 0."""
    years = LoyaltyProgram.current().dormant_erasure_years
    if not years:
        return Member.objects.none()
    since = (now or timezone.now()) - datetime.timedelta(days=round(365.25 * years))
    member = OuterRef("pk")
    recent = [
        Purchase.objects.filter(member=member, occurred_at__gte=since),
        Activity.objects.filter(member=member, occurred_at__gte=since),
        LoginToken.objects.filter(member=member, used_at__gte=since),
        SurveyResponse.objects.filter(member=member, created_at__gte=since),
        ConsentChange.objects.filter(member=member, changed_at__gte=since),
    ]
    members = Member.objects.filter(enrolled_at__lt=since).exclude(
        Exists(Erasure.objects.filter(member=member))
    )
    for activity in recent:
        members = members.exclude(Exists(activity))
    return members


@dataclass(frozen=True)
class MergeSide:
    """One member of a merge as the confirm page shows it: what they hold now."""

    member: Member
    points: int
    tier: str
    store_credit: Decimal
    codes: int
    purchases: int
    deliveries: int
    survey_answers: int
    referrals: int
    consents: tuple[str, ...]


def merge_side(member: Member) -> MergeSide:
    """What `member_merge` would move (for the duplicate) or add to (for the survivor)."""
    account = PointAccount.objects.filter(member=member).select_related("tier").first()
    credit = StoreCreditAccount.objects.filter(member=member).values_list("balance", flat=True)
    return MergeSide(
        member=member,
        points=account.balance if account else 0,
        tier=str(account.tier) if account and account.tier else "",
        store_credit=credit.first() or Decimal("0.00"),
        codes=IssuedReward.objects.filter(member=member).count(),
        purchases=Purchase.objects.filter(member=member).count(),
        deliveries=Delivery.objects.filter(member=member).count(),
        survey_answers=SurveyResponse.objects.filter(member=member).count(),
        referrals=Member.objects.filter(referred_by=member).count(),
        consents=tuple(
            channel
            for channel, field in (
                ("email", "email_consent_at"),
                ("sms", "sms_consent_at"),
                ("whatsapp", "whatsapp_consent_at"),
            )
            if getattr(member, field)
        ),
    )


# --- stamp cards ------------------------------------------------------------------------------


def stamp_purchases(automation: Automation, *, member_id: int) -> QuerySet[Purchase]:
    """The purchases a stamp card (an nth-purchase automation) counts: all of the member's, or
    those with a line of the automation's category; never one refunded in full."""
    purchases = purchases_counting(Purchase.objects.filter(member_id=member_id))
    if automation.category:
        purchases = purchases.filter(lines__category__iexact=automation.category).distinct()
    return purchases


def stamp_cards_progress(member: Member) -> list[StampCardProgress]:
    """Each live stamp card's progress towards its next reward ("3 of 10")."""
    from .services.automations import live_event_automations

    cards = []
    for automation in live_event_automations(Trigger.NTH_PURCHASE):
        if not automation.every_n:
            continue
        count = stamp_purchases(automation, member_id=member.pk).count()
        cards.append(
            StampCardProgress(
                name=automation.name,
                category=automation.category,
                collected=count % automation.every_n,
                needed=automation.every_n,
            )
        )
    return cards


@dataclass(frozen=True)
class BudgetState:
    per_day: Decimal | None
    total: Decimal | None
    spent_today: Decimal
    spent_total: Decimal

    @property
    def left(self) -> Decimal | None:
        """What can still be spent today, or None without a budget."""
        lefts = [
            cap - spent
            for cap, spent in ((self.per_day, self.spent_today), (self.total, self.spent_total))
            if cap is not None
        ]
        return max(Decimal("0.00"), min(lefts)) if lefts else None


def budget_state(budget: Budget, *, now: datetime.datetime | None = None) -> BudgetState:
    """What an automation or bonus campaign has spent today and in all (reads only)."""
    day = local_today(now or timezone.now()).isoformat()
    spent = dict(
        BudgetSpend.objects.filter(owner=budget.owner, period__in=[TOTAL, day]).values_list(
            "period", "spent"
        )
    )
    return BudgetState(
        per_day=budget.per_day,
        total=budget.total,
        spent_today=spent.get(day, Decimal("0.00")),
        spent_total=spent.get(TOTAL, Decimal("0.00")),
    )


def bonus_audience_counted(campaign_id: int) -> BonusAudience | None:
    """A bonus campaign's audience as counted at its start (its group sizes, without the member
    bitmap), or None before the batch job has counted it."""
    return BonusAudience.objects.filter(campaign_id=campaign_id).defer("members").first()
