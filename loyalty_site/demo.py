"""Demo data for a local run: stores, staff for each role, rules, members with history.

Everything is written through the services, so the demo ledger obeys the same invariants as a
real one. Deterministic (seeded), and a second run changes nothing. Longer than 400 lines because
it is a script of data, read top to bottom; it holds no rules.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import ApiScope, Member, PosApiKey, Store, hash_api_key
from accounts.services import member_enrol, store_create
from campaigns.models import Automation, BonusCampaign, Segment, SurveyResponse, Trigger
from campaigns.services import automations_run_due, member_stats_refresh
from insights.services import kpi_summaries_refresh
from loyalty_site import roles
from points.earning import BasketLine
from points.models import ActivityType, EarningRule, Tier
from points.services import (
    PurchaseRequest,
    RefundRequest,
    activity_record,
    purchase_record,
    refund_record,
)
from rewards.models import Reward, RewardKind, Stacking
from rewards.services import reward_redeem

DEMO_API_KEY = "pos_demo-key-for-local-use-only"
DEMO_STORE = "AMS01"
DEMO_PASSWORD = "demo-loyalty"

STORES = [
    ("AMS01", "Amsterdam Centrum", "offline"),
    ("UTR01", "Utrecht Oudegracht", "offline"),
    ("RTM01", "Rotterdam Markthal", "offline"),
    ("WEB", "Webshop", "online"),
]
STAFF = [
    ("admin", None, True),
    ("kassa", roles.CASHIER, False),
    ("marketing", roles.MARKETING, False),
    ("manager", roles.MANAGER, False),
]
FIRST_NAMES = [
    "Anna",
    "Daan",
    "Emma",
    "Sem",
    "Julia",
    "Lucas",
    "Sophie",
    "Milan",
    "Tess",
    "Levi",
    "Fenna",
    "Finn",
    "Noor",
    "Bram",
    "Lotte",
    "Thijs",
    "Sara",
    "Jesse",
    "Eva",
    "Ruben",
    "Isa",
    "Mees",
]
LAST_NAMES = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "van Dijk",
    "Bakker",
    "Janssen",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
]
PRODUCTS = [
    ("KOF-250", "coffee", Decimal("7.95")),
    ("KOF-1000", "coffee", Decimal("24.50")),
    ("THE-100", "tea", Decimal("4.25")),
    ("BOEK-01", "books", Decimal("19.99")),
    ("MOK-01", "homeware", Decimal("12.50")),
    ("CHOC-01", "sweets", Decimal("3.49")),
    ("KADO-25", "giftcards", Decimal("25.00")),
]


@dataclass
class DemoResult:
    created: bool
    members: int
    purchases: int


def _staff() -> None:
    user_model = get_user_model()
    for username, role, is_superuser in STAFF:
        if user_model.objects.filter(username=username).exists():
            continue
        user = user_model.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            email=f"{username}@demo.example",
            is_staff=True,
            is_superuser=is_superuser,
        )
        if role:
            user.groups.add(Group.objects.get(name=role))


def _stores() -> dict[str, Store]:
    stores = {}
    for code, name, channel in STORES:
        stores[code] = Store.objects.filter(code=code).first() or store_create(
            code=code, name=name, channel=channel
        )
    if not PosApiKey.objects.filter(key_hash=hash_api_key(DEMO_API_KEY)).exists():
        PosApiKey.objects.create(
            store=stores[DEMO_STORE],
            name="Demo till",
            prefix=DEMO_API_KEY[:12],
            key_hash=hash_api_key(DEMO_API_KEY),
            # The demo shows everything the API can do, codes in full included.
            scopes=list(ApiScope.values),
        )
    return stores


def _rules(stores: dict[str, Store]) -> None:
    EarningRule.objects.get_or_create(
        name_nl="Dubbele punten op koffie",
        defaults={
            "name_en": "Double points on coffee",
            "kind": EarningRule.Kind.MULTIPLIER,
            "multiplier": Decimal("2"),
            "categories": "coffee",
            "priority": 10,
        },
    )
    EarningRule.objects.get_or_create(
        name_nl="50 bonuspunten vanaf €75",
        defaults={
            "name_en": "50 bonus points from €75",
            "kind": EarningRule.Kind.FIXED_BONUS,
            "bonus_points": 50,
            "minimum_spend": Decimal("75.00"),
            "priority": 5,
        },
    )
    EarningRule.objects.filter(kind=EarningRule.Kind.BASE_RATE).update(
        excluded_categories="giftcards"
    )
    for code, name_nl, name_en, points, cap, period in [
        ("signup", "Aanmelding", "Sign-up", 50, 1, "ever"),
        ("review", "Productreview", "Product review", 25, 3, "month"),
        ("survey", "Enquête ingevuld", "Survey answered", 20, 1, "month"),
        ("app_login", "Inloggen in de app", "App login", 2, 1, "day"),
        ("referral", "Vriend aangebracht", "Friend referred", 100, None, "year"),
    ]:
        ActivityType.objects.get_or_create(
            code=code,
            defaults={
                "name_nl": name_nl,
                "name_en": name_en,
                "points": points,
                "cap": cap,
                "cap_period": period,
            },
        )


def _tiers() -> dict[str, Tier]:
    tiers = {}
    for rank, name_nl, name_en, threshold, multiplier, colour in [
        (1, "Brons", "Bronze", 0, "1.00", "#B08D57"),
        (2, "Zilver", "Silver", 500, "1.25", "#A8A9AD"),
        (3, "Goud", "Gold", 1500, "1.50", "#D4AF37"),
    ]:
        tiers[name_en], _created = Tier.objects.get_or_create(
            rank=rank,
            defaults={
                "name_nl": name_nl,
                "name_en": name_en,
                "threshold": threshold,
                "earn_multiplier": Decimal(multiplier),
                "colour": colour,
            },
        )
    return tiers


def _rewards(tiers: dict[str, Tier]) -> None:
    rewards = [
        (
            "10% korting",
            "10% off",
            RewardKind.PERCENTAGE_DISCOUNT,
            "10",
            250,
            None,
            Stacking.ONE_PER_GROUP,
            "percentage",
            "",
            "0",
        ),
        (
            "€5 korting vanaf €25",
            "€5 off from €25",
            RewardKind.FIXED_DISCOUNT,
            "5",
            200,
            None,
            Stacking.COMBINABLE,
            "",
            "",
            "25",
        ),
        (
            "€10 tegoed",
            "€10 store credit",
            RewardKind.STORE_CREDIT,
            "10",
            400,
            None,
            Stacking.COMBINABLE,
            "",
            "",
            "0",
        ),
        (
            "Gratis koffie",
            "Free coffee",
            RewardKind.FREE_PRODUCT,
            "0",
            150,
            None,
            Stacking.COMBINABLE,
            "",
            "KOF-250",
            "0",
        ),
        (
            "Zilver: 15% korting",
            "Silver: 15% off",
            RewardKind.PERCENTAGE_DISCOUNT,
            "15",
            300,
            tiers["Silver"],
            Stacking.ONE_PER_GROUP,
            "percentage",
            "",
            "0",
        ),
        (
            "Goud: 20% op alles",
            "Gold: 20% off everything",
            RewardKind.PERCENTAGE_DISCOUNT,
            "20",
            400,
            tiers["Gold"],
            Stacking.EXCLUSIVE,
            "",
            "",
            "0",
        ),
    ]
    for name_nl, name_en, kind, value, cost, tier, stacking, group, sku, minimum in rewards:
        Reward.objects.get_or_create(
            name_nl=name_nl,
            defaults={
                "name_en": name_en,
                "kind": kind,
                "value": Decimal(value),
                "points_cost": cost,
                "minimum_tier": tier,
                "stacking": stacking,
                "stacking_group": group,
                "sku": sku,
                "minimum_spend": Decimal(minimum),
                "validity_days": 60,
                "description_nl": f"{name_nl} op je volgende aankoop.",
                "description_en": f"{name_en} on your next purchase.",
            },
        )
    Reward.objects.get_or_create(
        name_nl="Welkom in Goud: €15 tegoed",
        defaults={
            "name_en": "Welcome to Gold: €15 store credit",
            "kind": RewardKind.STORE_CREDIT,
            "value": Decimal("15"),
            "points_cost": 0,
            "gift_for_tier": tiers["Gold"],
        },
    )


def _members(stores: dict[str, Store], rng: random.Random, count: int) -> tuple[int, int]:
    store_list = list(stores.values())
    now = timezone.now()
    purchases = 0
    referrer = None
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        home = rng.choice(store_list)
        member = member_enrol(
            # every seventh member was brought in by the one before: ambassadors on the ladder
            referral_code=referrer.referral_code if referrer and index % 7 == 6 else None,
            email=f"{first.lower()}.{index}@demo.example",
            first_name=first,
            last_name=last,
            birth_date=datetime.date(
                rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)
            ),
            language="en" if index % 5 == 0 else "nl",
            consents={"email": index % 3 != 0, "sms": index % 4 == 0, "whatsapp": index % 6 == 0},
            store=home,
            enrolled_at=now - datetime.timedelta(days=rng.randint(60, 400)),
        )
        if index % 2 == 0:
            activity_record(
                member=member,
                activity_type=ActivityType.objects.get(code="signup"),
                reference=f"signup-{member.card_number}",
                occurred_at=now - datetime.timedelta(days=rng.randint(1, 80)),
            )
        # Loyal, occasional and dormant customers: a spread the dashboards can show; every
        # tenth member is a big spender, so each tier has members.
        visits = rng.choice([0, 1, 2, 3, 5, 8, 12])
        big_spender = index % 10 == 3
        for visit in range(visits):
            store = home if rng.random() < 0.7 else rng.choice(store_list)
            lines = [
                BasketLine(sku=sku, category=category, quantity=Decimal(qty), amount=price * qty)
                for sku, category, price in rng.sample(PRODUCTS, rng.randint(1, 3))
                for qty in [rng.randint(4, 12) if big_spender else rng.randint(1, 3)]
            ]
            outcome = purchase_record(
                request=PurchaseRequest(
                    store=store,
                    member=member,
                    transaction_id=f"DEMO-{member.card_number}-{visit}",
                    amount=sum((line.amount for line in lines), Decimal("0")),
                    currency="EUR",
                    occurred_at=now - datetime.timedelta(days=rng.randint(1, 85), minutes=visit),
                    lines=tuple(lines),
                )
            )
            purchases += 1
            if rng.random() < 0.05:
                refund_record(
                    request=RefundRequest(
                        store=store,
                        transaction_id=outcome.purchase.transaction_id,
                        refund_id="R1",
                        amount=outcome.purchase.amount,
                    )
                )
        _redeem_something(member, stores[DEMO_STORE], rng)
        referrer = member
    return count, purchases


def _redeem_something(member, store: Store, rng: random.Random) -> None:
    """Some members already bought rewards, so codes and credit show up everywhere."""
    member.refresh_from_db()
    balance = member.point_account.balance
    affordable = [
        reward
        for reward in Reward.objects.filter(points_cost__gt=0, minimum_tier=None)
        if reward.points_cost <= balance
    ]
    if affordable and rng.random() < 0.5:
        reward_redeem(
            store=store,
            member=member,
            reward_id=rng.choice(affordable).pk,
            idempotency_key=f"demo-{member.card_number}",
        )


def _campaigns() -> None:
    loyal, _created = Segment.objects.get_or_create(
        name="Loyale klanten",
        defaults={"description": "100 punten of meer", "min_points_balance": 100},
    )
    Segment.objects.get_or_create(
        name="Slapende klanten",
        defaults={
            "description": "Langer dan 60 dagen niets gekocht",
            "min_days_since_last_purchase": 60,
        },
    )
    comeback = Reward.objects.get_or_create(
        name_nl="€5 welkom terug",
        defaults={
            "name_en": "€5 welcome back",
            "kind": RewardKind.FIXED_DISCOUNT,
            "value": Decimal("5"),
            "points_cost": 0,
            "minimum_spend": Decimal("15"),
            "stacking": Stacking.COMBINABLE,
            "validity_days": 30,
        },
    )[0]
    Automation.objects.get_or_create(
        name="Reactivatie na 60 dagen",
        defaults={
            "trigger": Trigger.DORMANT,
            "days": 60,
            "reward": comeback,
            "cooldown_days": 90,
            "max_per_day": 500,
        },
    )
    Automation.objects.get_or_create(
        name="Welkomstpunten",
        defaults={"trigger": Trigger.WELCOME, "bonus_points": 25, "cooldown_days": 0},
    )
    Automation.objects.get_or_create(
        name="Verjaardagskorting",
        defaults={
            "trigger": Trigger.BIRTHDAY,
            "reward": Reward.objects.get(name_nl="10% korting"),
            "cooldown_days": 300,
        },
    )
    Automation.objects.get_or_create(
        name="Extra voor loyale klanten bij Zilver",
        defaults={"trigger": Trigger.TIER_REACHED, "segment": loyal, "bonus_points": 50},
    )
    now = timezone.now()
    BonusCampaign.objects.get_or_create(
        name_nl="Dubbele punten weekend",
        defaults={
            "name_en": "Double points weekend",
            "kind": BonusCampaign.Kind.MULTIPLIER,
            "multiplier": Decimal("2"),
            "starts_at": now - datetime.timedelta(days=30),
            "ends_at": now - datetime.timedelta(days=28),
        },
    )


def _survey_answers(rng: random.Random) -> None:
    """Two in three members answered the short survey once in the last 80 days (NPS and the
    loyalty index on the KPI dashboard)."""
    now = timezone.now()
    answers = []
    for member in Member.objects.order_by("pk"):
        if rng.random() < 0.34:
            continue
        fan = rng.random() < 0.5
        answers.append(
            SurveyResponse(
                member=member,
                recommend_score=rng.randint(8, 10) if fan else rng.randint(2, 8),
                repurchase_score=rng.randint(7, 10) if fan else rng.randint(3, 8),
                try_new_score=rng.choice([None, rng.randint(4, 10)]),
                created_at=now - datetime.timedelta(days=rng.randint(1, 80)),
            )
        )
    SurveyResponse.objects.bulk_create(answers)


def load_demo_data(*, members: int = 60, seed: int = 2024) -> DemoResult:
    if Store.objects.filter(code=DEMO_STORE).exists():
        return DemoResult(created=False, members=0, purchases=0)
    rng = random.Random(seed)
    with transaction.atomic(durable=True):
        _staff()
        stores = _stores()
        _rules(stores)
        _rewards(_tiers())
    member_count, purchases = _members(stores, rng, members)
    member_stats_refresh()
    _campaigns()
    # The reactivation offer has run once, so its deliveries show in admin; its e-mails stay
    # in memory instead of flooding the console.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        automations_run_due()
    _survey_answers(rng)
    kpi_summaries_refresh()  # the KPI dashboard has figures at once
    return DemoResult(created=True, members=member_count, purchases=purchases)
