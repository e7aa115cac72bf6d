"""A small programme as a shop would set it up: earning rules, tiers, bonus campaigns,
activities, rewards and a referral automation. Shared by the page and browser tests."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from accounts.models import Member
from campaigns.models import BonusCampaign
from points.models import EarningRule, Tier
from rewards.models import Reward
from tests.factories import (
    ActivityTypeFactory,
    AutomationFactory,
    EarningRuleFactory,
    RewardFactory,
    TierFactory,
)


@dataclass
class Programme:
    bronze: Tier
    silver: Tier
    gold: Tier
    coffee: Reward  # 150 points, for everyone
    discount: Reward  # 500 points, for everyone
    silver_treat: Reward  # 300 points, silver and higher


def days(count: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=count)


def programme_set_up() -> Programme:
    bronze = TierFactory(rank=1, threshold=0, name_nl="Brons", name_en="Bronze")
    silver = TierFactory(
        rank=2,
        threshold=500,
        name_nl="Zilver",
        name_en="Silver",
        earn_multiplier=Decimal("1.25"),
        colour="#C0C0C0",
    )
    gold = TierFactory(
        rank=3,
        threshold=1500,
        name_nl="Goud",
        name_en="Gold",
        earn_multiplier=Decimal("1.5"),
        colour="#D4AF37",
    )
    EarningRuleFactory(
        kind=EarningRule.Kind.BASE_RATE,
        name_nl="Basis",
        name_en="Base",
        points_per_unit=Decimal("1.00"),
        priority=10,
    )
    EarningRuleFactory(
        kind=EarningRule.Kind.MULTIPLIER,
        name_nl="Dubbele punten op koffie",
        name_en="Double points on coffee",
        multiplier=Decimal("2.00"),
        categories="koffie",
    )
    EarningRuleFactory(
        kind=EarningRule.Kind.FIXED_BONUS,
        name_nl="Webwinkelbonus",
        name_en="Web shop bonus",
        bonus_points=25,
        minimum_spend=Decimal("50.00"),
        channel="online",
    )
    # Not in force: ended, or switched off.
    EarningRuleFactory(name_nl="Oude actie", valid_until=days(-1), valid_from=days(-30))
    EarningRuleFactory(name_nl="Uitgezet", is_active=False)

    running = BonusCampaign.objects.create(
        name_nl="Dubbele punten weekend",
        name_en="Double points weekend",
        kind="multiplier",
        multiplier=Decimal("2.00"),
        starts_at=days(-1),
        ends_at=days(2),
    )
    BonusCampaign.objects.create(
        name_nl="Thee-week",
        name_en="Tea week",
        kind="fixed_bonus",
        bonus_points=40,
        categories="thee",
        starts_at=days(10),
        ends_at=days(17),
    )
    gold_only = BonusCampaign.objects.create(
        name_nl="Goudavond",
        kind="fixed_bonus",
        bonus_points=100,
        starts_at=days(-1),
        ends_at=days(1),
    )
    gold_only.tiers.set([gold])
    BonusCampaign.objects.create(
        name_nl="Voorbij", kind="fixed_bonus", bonus_points=5, starts_at=days(-9), ends_at=days(-2)
    )
    BonusCampaign.objects.create(
        name_nl="Ver weg", kind="fixed_bonus", bonus_points=5, starts_at=days(60), ends_at=days(61)
    )
    assert running.pk

    ActivityTypeFactory(
        code="review", name_nl="Review schrijven", name_en="Write a review", points=10, cap=1
    )
    ActivityTypeFactory(code="old", name_nl="Oude activiteit", points=5, is_active=False)

    coffee = RewardFactory(
        name_nl="Gratis koffie", name_en="Free coffee", points_cost=150, free_product=True
    )
    discount = RewardFactory(name_nl="10% korting", name_en="10% off", points_cost=500)
    silver_treat = RewardFactory(
        name_nl="Zilveren gebak", name_en="Silver pastry", points_cost=300, minimum_tier=silver
    )
    RewardFactory(
        name_nl="Welkom in Goud", name_en="Welcome to Gold", points_cost=0, gift_for_tier=gold
    )

    AutomationFactory(
        trigger="referral",
        days=None,
        reward=RewardFactory(name_nl="€ 5 korting", name_en="€5 off", points_cost=0, fixed=True),
        bonus_points=50,
        reward_newcomer=True,
        channel="none",
    )
    return Programme(bronze, silver, gold, coffee, discount, silver_treat)


def member_in_tier(member: Member, tier: Tier) -> Member:
    """Puts the member in `tier` the way tier evaluation would leave it."""
    from django.db import transaction

    from points.services import account_lock

    with transaction.atomic():
        account = account_lock(member.pk)
        account.tier = tier
        account.save(update_fields=["tier"])
    member.refresh_from_db()
    return member
