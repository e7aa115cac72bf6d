"""Demo data for a local run: stores, staff for each role, rules, members with history.

Everything is written through the services, so the demo ledger obeys the same invariants as a
real one. Deterministic (seeded), and a second run changes nothing.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.models import PosApiKey, Store, hash_api_key
from accounts.services import member_enrol, store_create
from points.earning import BasketLine
from points.models import ActivityType, EarningRule
from points.services import (
    PurchaseRequest,
    RefundRequest,
    activity_record,
    purchase_record,
    refund_record,
)

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


def _members(stores: dict[str, Store], rng: random.Random, count: int) -> tuple[int, int]:
    store_list = list(stores.values())
    now = timezone.now()
    purchases = 0
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        home = rng.choice(store_list)
        member = member_enrol(
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
        # Loyal, occasional and dormant customers: a spread the dashboards can show.
        visits = rng.choice([0, 1, 2, 3, 5, 8, 12])
        for visit in range(visits):
            store = home if rng.random() < 0.7 else rng.choice(store_list)
            lines = [
                BasketLine(sku=sku, category=category, quantity=Decimal(qty), amount=price * qty)
                for sku, category, price in rng.sample(PRODUCTS, rng.randint(1, 3))
                for qty in [rng.randint(1, 3)]
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
    return count, purchases


def load_demo_data(*, members: int = 60, seed: int = 2024) -> DemoResult:
    if Store.objects.filter(code=DEMO_STORE).exists():
        return DemoResult(created=False, members=0, purchases=0)
    rng = random.Random(seed)
    with transaction.atomic():
        _staff()
        stores = _stores()
        _rules(stores)
    member_count, purchases = _members(stores, rng, members)
    return DemoResult(created=True, members=member_count, purchases=purchases)
