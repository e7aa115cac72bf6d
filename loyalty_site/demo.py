"""Demo data for a local run: stores, staff for each role, rules, members with a year of history.

Everything is written through the services, so the demo ledger obeys the same invariants as a
real one. The history is written in time order under a stopped clock (`_clock`), so tier moves,
messages and the reactivation run carry the dates they would have had. Deterministic (seeded),
and a second run changes nothing. Longer than 400 lines because
it is a script of data, read top to bottom; it holds no rules.
"""

import datetime
import random
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.cards import generate_card_number
from accounts.models import ApiScope, Member, PosApiKey, Store, hash_api_key
from accounts.services import member_enrol, store_create
from campaigns.models import (
    Automation,
    BonusCampaign,
    Delivery,
    Segment,
    SurveyResponse,
    Trigger,
)
from campaigns.services import (
    automations_run_due,
    bonus_audiences_refresh_due,
    member_stats_refresh,
)
from core import outbox
from insights.services import kpi_summaries_refresh
from loyalty_site import roles
from points.earning import BasketLine
from points.models import (
    ActivityType,
    EarningRule,
    PointAccount,
    Purchase,
    ScoreNorm,
    ScoreSource,
    Tier,
)
from points.services import (
    PurchaseOutcome,
    PurchaseRequest,
    RefundRequest,
    activity_record,
    purchase_record,
    refund_record,
    score_record,
)
from rewards.models import Reward, RewardKind, Stacking
from rewards.services import reward_redeem
from rewards.services.checkout import CodesRejected

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


def featured_members() -> list[Member]:
    return [
        member
        for index, (first, _last) in FEATURED.items()
        if (member := Member.objects.filter(email=f"{first.lower()}.{index}@demo.example").first())
    ]


@dataclass
class DemoResult:
    created: bool
    members: int
    purchases: int


def _staff() -> None:
    user_model = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hashed once: the slow part, the same for all
    for username, role, is_superuser in STAFF:
        if user_model.objects.filter(username=username).exists():
            continue
        user = user_model.objects.create_user(
            username=username,
            email=f"{username}@demo.example",
            is_staff=True,
            is_superuser=is_superuser,
        )
        user.password = password
        user.save(update_fields=["password"])
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


def _score_norms() -> None:
    """What the loyalty score counts (seed 000's preset norms): 'Loyal' is a score of 100."""
    by_code = {activity.code: activity for activity in ActivityType.objects.all()}
    for source, code, value in [
        (ScoreSource.PURCHASE, None, "10"),
        (ScoreSource.PURCHASE_AMOUNT, None, "0.5"),
        (ScoreSource.CAMPAIGN_RESPONSE, None, "25"),
        (ScoreSource.SURVEY_ANSWER, None, "20"),
        (ScoreSource.PORTAL_VISIT, None, "2"),
        (ScoreSource.ACTIVITY, "review", "15"),
        (ScoreSource.ACTIVITY, "app_login", "2"),
        (ScoreSource.ACTIVITY, "referral", "30"),
    ]:
        ScoreNorm.objects.get_or_create(
            source=source,
            activity_type=by_code.get(code) if code else None,
            defaults={"value": Decimal(value)},
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


# What kind of customer each member is (by position, so even a small demo has every kind):
# regulars all year, lapsed ones gone for over half a year, fading ones who stopped a few months
# ago, newcomers, and members who never bought.
PROFILES = ["big", "lapsed", "fading", "regular", "regular"]
PROFILES += ["new", "lapsed", "fading", "regular", "never"]
# The two members `make run` names (and the README): a Gold regular and a lapsed customer.
FEATURED = {0: ("Anna", "de Vries"), 1: ("Daan", "Jansen")}
REACTIVATION_RUN_DAYS_AGO = 40  # the reactivation offer ran once, this long ago
# Lapsed members added in bulk, so the reactivation's holdout has enough members for the uplift
# report to show numbers (at least 100 per group): 30 % of them are held out.
REACTIVATION_COHORT = 500
REACTIVATION_HOLDOUT = 30
# Who comes back within the offer's validity: with the offer, and without it (the holdout).
COMEBACK_WITH_OFFER, COMEBACK_WITHOUT = 0.5, 0.3
# The double points weekend holds out this share of the members (counted after the history).
BONUS_HOLDOUT = 30


@dataclass
class _Plan:
    """One member's history, written in time order with everyone else's."""

    index: int
    profile: str
    enrolled_at: datetime.datetime
    home: Store
    visits: list[datetime.datetime]
    member: Member | None = None


@contextmanager
def _clock(moment: datetime.datetime):
    """Lets the services write as if it were `moment`: tier moves, deliveries and the
    reactivation run get their real dates instead of all being stamped at load time."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _plan(index: int, home: Store, now: datetime.datetime, rng: random.Random) -> _Plan:
    profile = PROFILES[index % len(PROFILES)]
    days_ago = {"regular": (330, 400), "big": (330, 400), "lapsed": (300, 400)}.get(
        profile, {"fading": (160, 320), "new": (5, 50), "never": (10, 300)}.get(profile)
    )
    enrolled = rng.randint(*days_ago)
    if profile in ("regular", "big"):  # every two to six weeks, until now
        visits, day = [], enrolled - rng.randint(1, 20)
        while day > 1:
            visits.append(day)
            day -= rng.randint(14, 42)
    elif profile == "lapsed":  # a few times early on, nothing for more than 200 days
        visits = sorted(rng.sample(range(201, enrolled), rng.randint(2, 5)), reverse=True)
    elif profile == "fading":  # stopped two to five months ago
        visits = sorted(rng.sample(range(65, min(enrolled, 150)), rng.randint(2, 5)), reverse=True)
    elif profile == "new":
        visits = sorted(rng.sample(range(1, enrolled), min(enrolled - 1, rng.randint(1, 2))))
    else:
        visits = []
    at = lambda day: now - datetime.timedelta(days=day, hours=rng.randint(0, 9))  # noqa: E731
    return _Plan(index, profile, at(enrolled), home, sorted(at(day) for day in visits))


def _basket(big_spender: bool, rng: random.Random) -> tuple[BasketLine, ...]:
    return tuple(
        BasketLine(sku=sku, category=category, quantity=Decimal(qty), amount=price * qty)
        for sku, category, price in rng.sample(PRODUCTS, rng.randint(1, 3))
        for qty in [rng.randint(4, 12) if big_spender else rng.randint(1, 3)]
    )


def _buy(plan: _Plan, at: datetime.datetime, store: Store, rng: random.Random, codes=()) -> None:
    lines = _basket(plan.profile == "big", rng)
    if codes:  # back for the offer: enough in the basket for its minimum spend
        lines = (*lines, BasketLine("KOF-1000", "coffee", Decimal("1"), Decimal("24.50")))

    def record(codes) -> PurchaseOutcome:
        return purchase_record(
            request=PurchaseRequest(
                store=store,
                member=plan.member,
                transaction_id=f"DEMO-{plan.member.card_number}-{at:%Y%m%d%H%M}",
                amount=sum((line.amount for line in lines), Decimal("0")),
                currency="EUR",
                occurred_at=at,
                lines=lines,
                codes=tuple(codes),
            )
        )

    try:
        outcome = record(codes)
    except CodesRejected:  # the till would ring it up without the code
        outcome = record(())
    # (a basket bought with a code is not refunded here: its refundable part is smaller)
    if rng.random() < 0.04 and not outcome.purchase.discount_total:
        refund_record(
            request=RefundRequest(
                store=store,
                transaction_id=outcome.purchase.transaction_id,
                refund_id="R1",
                amount=outcome.purchase.amount,
            )
        )


def _enrol(plan: _Plan, referrer: Member | None, rng: random.Random) -> Member:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    index = plan.index
    first, last = FEATURED.get(index, (first, last))
    member = member_enrol(
        # every seventh member was brought in by the one before: ambassadors on the ladder
        referral_code=referrer.referral_code if referrer and index % 7 == 6 else None,
        email=f"{first.lower()}.{index}@demo.example",
        first_name=first,
        last_name=last,
        birth_date=datetime.date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)),
        language="en" if index % 5 == 4 else "nl",
        consents={"email": index % 3 != 2, "sms": index % 4 == 0, "whatsapp": index % 6 == 0},
        store=plan.home,
        enrolled_at=plan.enrolled_at,
    )
    if index % 2 == 0:
        activity_record(
            member=member,
            activity_type=ActivityType.objects.get(code="signup"),
            reference=f"signup-{member.card_number}",
            occurred_at=plan.enrolled_at + datetime.timedelta(minutes=5),
        )
    return member


def _lapsed_cohort(stores: dict[str, Store], now: datetime.datetime, rng: random.Random) -> list:
    """Lapsed members written set-based: enrolled over a year ago, one purchase 100 to 300 days
    before the reactivation run, nothing since; all may be e-mailed. Plans for their comebacks."""
    run_at = now - datetime.timedelta(days=REACTIVATION_RUN_DAYS_AGO)
    store_list = list(stores.values())
    members = []
    for index in range(REACTIVATION_COHORT):
        enrolled = run_at - datetime.timedelta(days=rng.randint(320, 420))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        members.append(
            Member(
                card_number=generate_card_number(),
                email=f"{first.lower()}.terug{index}@demo.example",
                first_name=first,
                last_name=last,
                language="en" if index % 5 == 4 else "nl",
                email_consent_at=enrolled,
                enrolled_at=enrolled,
                enrolled_store=rng.choice(store_list),
            )
        )
    Member.objects.bulk_create(members, batch_size=500)
    PointAccount.objects.bulk_create(
        [PointAccount(member=member) for member in members], batch_size=500
    )
    Purchase.objects.bulk_create(
        [
            Purchase(
                store=member.enrolled_store,
                transaction_id=f"DEMO-{member.card_number}-1",
                member=member,
                amount=Decimal(rng.randint(1500, 6000)) / 100,
                currency="EUR",
                channel=member.enrolled_store.channel,
                occurred_at=run_at - datetime.timedelta(days=rng.randint(100, 300)),
            )
            for member in members
        ],
        batch_size=500,
    )
    return [
        _Plan(100_000 + index, "lapsed", member.enrolled_at, member.enrolled_store, [], member)
        for index, member in enumerate(members)
    ]


def _reactivation_run(plans: list[_Plan], at: datetime.datetime, rng: random.Random) -> list:
    """The reactivation offer runs once, with a holdout; about half of those who got it come
    back and buy within its validity, most of them with the code, and fewer of the held out
    (the KPI dashboard's reactivation table and uplift report)."""
    member_stats_refresh()  # the dormant trigger reads each member's last purchase
    automations_run_due(now=at)
    # The offers go out now, whether or not a worker listens: who came back depends on them.
    outbox.drain()
    by_member = {plan.member.pk: plan for plan in plans if plan.member is not None}
    comebacks = []
    for delivery in Delivery.objects.filter(
        automation__trigger=Trigger.DORMANT,
        status__in=[Delivery.Status.SENT, Delivery.Status.HELD_OUT],
    ).select_related("issued_reward"):
        plan = by_member[delivery.member_id]
        held_out = delivery.status == Delivery.Status.HELD_OUT
        chance = COMEBACK_WITHOUT if held_out else COMEBACK_WITH_OFFER
        if rng.random() < chance and plan.index != 1:  # Daan (featured) stays away
            code = (
                delivery.issued_reward.code
                if delivery.issued_reward and rng.random() < 0.8
                else None
            )
            moment = at + datetime.timedelta(days=rng.randint(2, 25), hours=rng.randint(0, 8))
            comebacks.append((moment, plan, code))
    return comebacks


def _members(stores: dict[str, Store], rng: random.Random, count: int) -> tuple[int, int]:
    """A year of history, written in time order as it would have happened."""
    store_list = list(stores.values())
    now = timezone.now()
    plans = [_plan(index, rng.choice(store_list), now, rng) for index in range(count)]
    cohort = _lapsed_cohort(stores, now, rng)
    run_at = now - datetime.timedelta(days=REACTIVATION_RUN_DAYS_AGO)
    events: list[tuple[datetime.datetime, int, str, _Plan | None, str | None]] = []
    for plan in plans:
        events.append((plan.enrolled_at, plan.index, "enrol", plan, None))
        events.extend((visit, plan.index, "buy", plan, None) for visit in plan.visits)
    events.append((run_at, -1, "reactivation", None, None))
    events.sort(key=lambda event: (event[0], event[1]))
    purchases = 0
    members: dict[int, Member] = {}
    position = 0
    while position < len(events):
        moment, index, what, plan, code = events[position]
        position += 1
        with _clock(moment + datetime.timedelta(minutes=1)):
            if what == "enrol":
                plan.member = members[index] = _enrol(plan, members.get(index - 1), rng)
            elif what == "reactivation":
                later = [
                    (when, p.index, "buy", p, c)
                    for when, p, c in _reactivation_run([*plans, *cohort], moment, rng)
                ]
                events[position:] = sorted(
                    [*events[position:], *later], key=lambda event: (event[0], event[1])
                )
            else:
                store = plan.home if rng.random() < 0.7 else rng.choice(store_list)
                _buy(plan, moment, store, rng, codes=[code] if code else [])
                purchases += 1
    for plan in plans:
        _redeem_something(plan.member, stores[DEMO_STORE], rng)
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
        defaults={"description": "Loyaliteitsscore 100 of meer", "min_score": 100},
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
            "max_per_day": 1000,
            "holdout_percent": REACTIVATION_HOLDOUT,
        },
    )
    Automation.objects.get_or_create(
        name="Koffiekaart",
        defaults={
            "trigger": Trigger.NTH_PURCHASE,
            "every_n": 10,
            "category": "coffee",
            "bonus_points": 100,
            "cooldown_days": 0,
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
            # Measured like the reactivation: its row in the uplift report (docs/kpis.md).
            "holdout_percent": BONUS_HOLDOUT,
        },
    )


def _survey_answers(rng: random.Random) -> None:
    """Two in three members answered the short survey once, at some point in their year (NPS
    and the loyalty index on the KPI dashboard, month by month)."""
    now = timezone.now()
    answers = []
    for member in Member.objects.order_by("pk"):
        if rng.random() < 0.34:
            continue
        fan = rng.random() < 0.5
        days_member = max(1, (now - member.enrolled_at).days)
        answers.append(
            SurveyResponse(
                member=member,
                recommend_score=rng.randint(8, 10) if fan else rng.randint(2, 8),
                repurchase_score=rng.randint(7, 10) if fan else rng.randint(3, 8),
                try_new_score=rng.choice([None, rng.randint(4, 10)]),
                created_at=now - datetime.timedelta(days=rng.randint(0, min(days_member, 365))),
            )
        )
    with transaction.atomic(durable=True):
        for answer in SurveyResponse.objects.bulk_create(answers):
            score_record(
                member_id=answer.member_id,
                source=ScoreSource.SURVEY_ANSWER,
                source_key=f"survey:{answer.pk}",
                occurred_at=answer.created_at,
            )


def load_demo_data(*, members: int = 60, seed: int = 2024) -> DemoResult:
    if Store.objects.filter(code=DEMO_STORE).exists():
        return DemoResult(created=False, members=0, purchases=0)
    rng = random.Random(seed)
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        # Hundreds of small transactions: without waiting for the disk after each one the demo
        # loads in a fraction of the time. Only this connection, only while loading.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
    with transaction.atomic(durable=True):
        _staff()
        stores = _stores()
        _rules(stores)
        _score_norms()
        _rewards(_tiers())
        _campaigns()
    # Welcome messages and the reactivation offer stay in memory instead of flooding the console.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        member_count, purchases = _members(stores, rng, members)
    member_stats_refresh()
    bonus_audiences_refresh_due()  # the weekend's audience and purchases, for the uplift report
    _survey_answers(rng)
    kpi_summaries_refresh()  # the KPI dashboard has figures at once
    return DemoResult(created=True, members=member_count, purchases=purchases)
