from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.cards import generate_card_number
from accounts.models import Member, Store
from campaigns.models import Automation, Segment
from points.models import ActivityType, EarningRule, PointAccount, Tier
from rewards.models import Reward, RewardKind, Stacking


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"Store {n}")
    channel = Store.Channel.OFFLINE


class MemberFactory(factory.django.DjangoModelFactory):
    """A member with an open, empty point account (what enrolment produces)."""

    class Meta:
        model = Member
        skip_postgeneration_save = True

    card_number = factory.LazyFunction(generate_card_number)
    email = factory.Sequence(lambda n: f"member{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    language = "nl"

    @factory.post_generation
    def point_account(self, create, extracted, **kwargs):
        if create:
            PointAccount.objects.get_or_create(member=self)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@shop.example")
    is_staff = True
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class EarningRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EarningRule
        skip_postgeneration_save = True

    name_nl = factory.Sequence(lambda n: f"Regel {n}")
    name_en = factory.Sequence(lambda n: f"Rule {n}")
    kind = EarningRule.Kind.FIXED_BONUS
    bonus_points = 10
    points_per_unit = Decimal("1.00")
    multiplier = Decimal("2.00")

    @factory.post_generation
    def stores(self, create, extracted, **kwargs):
        if create and extracted:
            self.stores.set(extracted)


class ActivityTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityType
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"activity-{n}")
    name_nl = factory.Sequence(lambda n: f"Activiteit {n}")
    name_en = factory.Sequence(lambda n: f"Activity {n}")
    points = 25


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier
        django_get_or_create = ["rank"]

    name_nl = factory.Sequence(lambda n: f"Niveau {n}")
    name_en = factory.Sequence(lambda n: f"Tier {n}")
    rank = factory.Sequence(lambda n: n + 1)
    threshold = factory.LazyAttribute(lambda tier: (tier.rank - 1) * 500)
    earn_multiplier = Decimal("1.00")


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    name_nl = factory.Sequence(lambda n: f"Beloning {n}")
    name_en = factory.Sequence(lambda n: f"Reward {n}")
    kind = RewardKind.PERCENTAGE_DISCOUNT
    value = Decimal("10.00")
    points_cost = 100
    validity_days = 30
    stacking = Stacking.COMBINABLE

    class Params:
        fixed = factory.Trait(kind=RewardKind.FIXED_DISCOUNT, value=Decimal("5.00"))
        credit = factory.Trait(kind=RewardKind.STORE_CREDIT, value=Decimal("10.00"))
        free_product = factory.Trait(
            kind=RewardKind.FREE_PRODUCT, value=Decimal("0"), sku="KOF-250"
        )


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Segment {n}")


class AutomationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Automation

    name = factory.Sequence(lambda n: f"Automation {n}")
    trigger = "dormant"
    days = 60
    reward = factory.SubFactory(RewardFactory, points_cost=0, fixed=True)
    channel = "preferred"
    cooldown_days = 90
