"""The uplift report: a simulated reactivation with a known true effect.

Members are made in bulk, placed by the real assignment, and come back with a known probability
per group (seeded), buying a basket of known mean. The report's 95 % intervals must cover the
true uplift in conversion (percentage points) and in revenue per member; with no true effect
they must cover zero. One seed per scenario: the outcome is fixed, not flaky.
"""

import datetime
import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.cards import generate_card_number
from accounts.models import Member
from campaigns.assignment import assignment_for
from campaigns.models import AutomationArm, Delivery
from core import stats
from insights import figures
from insights.figures.uplift import MIN_MEMBERS
from loyalty_site import roles
from points.models import Purchase
from tests.factories import AutomationFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db

MARCH = figures.KpiFilter(start=datetime.date(2025, 3, 1), end=datetime.date(2025, 3, 31))
SENT_AT = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)
PERIOD = {"start": "2025-03-01", "end": "2025-03-31"}
MEAN_BASKET = 50.0
DAY = datetime.timedelta(days=1)  # baskets uniform on [20, 80]


def simulate(*, members, holdout_percent, holdout_rate, arm_rates, seed):
    """`arm_rates`: {arm name: (split %, return probability)}; one unnamed arm = no variants."""
    rng = random.Random(seed)
    store = StoreFactory()
    offer = AutomationFactory(name="Winback", holdout_percent=holdout_percent)
    arms = {
        name: AutomationArm.objects.create(
            automation=offer, name=name, bonus_points=100, split_percent=split
        )
        for name, (split, _rate) in arm_rates.items()
        if name
    }
    rates = {arms[name].pk if name else None: rate for name, (_split, rate) in arm_rates.items()}
    splits = [(arm.pk, arm.split_percent) for arm in arms.values()]
    created = Member.objects.bulk_create(
        Member(card_number=generate_card_number(), email=f"sim{index}@example.com")
        for index in range(members)
    )
    deliveries, purchases = [], []
    for index, member in enumerate(created, 1):
        # Placed by the member's position, not its id: ids differ from run to run (PostgreSQL's
        # sequences never go back), and so would the sample, and with it whether a 95 %
        # interval covers the truth (it misses 1 time in 20). The same data every run.
        placed = assignment_for(
            automation_id=1,
            member_id=index,
            holdout_percent=holdout_percent,
            arms=splits,
        )
        rate = holdout_rate if placed.held_out else rates[placed.arm_id]
        came_back = rng.random() < rate
        bought_at = SENT_AT + datetime.timedelta(days=rng.randint(1, 29))
        amount = Decimal(str(round(rng.uniform(20, 80), 2))) if came_back else Decimal("0")
        deliveries.append(
            Delivery(
                automation=offer,
                member=member,
                arm_id=placed.arm_id,
                period_key="sim",
                created_at=SENT_AT,
                fulfilled_at=SENT_AT,
                status=Delivery.Status.HELD_OUT if placed.held_out else Delivery.Status.SENT,
                offer_expires_at=SENT_AT + datetime.timedelta(days=30),
                converted_at=bought_at if came_back else None,
                # What recording the purchase keeps on the delivery (bulk_create bypasses it).
                window_revenue=amount,
            )
        )
        if came_back:
            purchases.append(
                Purchase(
                    store=store,
                    transaction_id=f"SIM{member.pk}",
                    member=member,
                    amount=amount,
                    currency="EUR",
                    channel="offline",
                    occurred_at=bought_at,
                )
            )
    Delivery.objects.bulk_create(deliveries, batch_size=1000)
    Purchase.objects.bulk_create(purchases, batch_size=1000)
    return offer, arms


def _row(report, arm=None):
    return next(row for row in report.rows if row.arm_id == (arm.pk if arm else None))


def test_the_interval_covers_the_true_uplift():
    simulate(
        members=4000,
        holdout_percent=30,
        holdout_rate=0.20,
        arm_rates={"": (100, 0.30)},
        seed=19,
    )
    row = _row(figures.uplift(MARCH))
    assert row.treated.members + row.holdout.members == 4000
    assert row.conversion_uplift.covers(10.0)  # percentage points
    assert not row.conversion_uplift.covers(0.0)  # and the effect is found
    assert row.revenue_uplift.covers(0.10 * MEAN_BASKET)
    assert row.incremental_revenue > 0


def test_each_variant_covers_its_own_true_uplift():
    _offer, arms = simulate(
        members=6000,
        holdout_percent=25,
        holdout_rate=0.15,
        arm_rates={"10 %": (50, 0.20), "20 %": (50, 0.30)},
        seed=7,
    )
    report = figures.uplift(MARCH)
    low, high = _row(report, arms["10 %"]), _row(report, arms["20 %"])
    assert low.conversion_uplift.covers(5.0)
    assert high.conversion_uplift.covers(15.0)
    assert low.revenue_uplift.covers(0.05 * MEAN_BASKET)
    assert high.revenue_uplift.covers(0.15 * MEAN_BASKET)
    # The automation's own row is both arms against the same holdout.
    whole = _row(report)
    assert whole.treated.members == low.treated.members + high.treated.members
    assert whole.holdout == low.holdout == high.holdout


def test_with_no_true_effect_the_interval_covers_zero():
    simulate(
        members=4000,
        holdout_percent=50,
        holdout_rate=0.20,
        arm_rates={"": (100, 0.20)},
        seed=4,
    )
    row = _row(figures.uplift(MARCH))
    assert row.conversion_uplift.covers(0.0)
    assert row.revenue_uplift.covers(0.0)


def test_below_the_minimum_sample_the_report_says_so():
    simulate(
        members=MIN_MEMBERS,
        holdout_percent=10,
        holdout_rate=0.2,
        arm_rates={"": (100, 0.3)},
        seed=1,
    )
    row = _row(figures.uplift(MARCH))
    assert not row.enough_members
    assert row.conversion_uplift is None
    assert row.revenue_uplift is None
    assert row.incremental_margin is None


def test_automations_without_a_holdout_are_not_in_the_report():
    simulate(members=300, holdout_percent=0, holdout_rate=0.2, arm_rates={"": (100, 0.3)}, seed=1)
    assert figures.uplift(MARCH).rows == []


# --- the statistics on their own ------------------------------------------------------------


def test_newcombe_matches_the_published_example():
    # Newcombe (1998), table II, example (a): 56/70 − 48/80 → 0.2000 (0.0524, 0.3339).
    interval = stats.proportion_difference(56, 70, 48, 80)
    assert round(interval.estimate, 4) == 0.2
    assert round(interval.low, 4) == 0.0524
    assert round(interval.high, 4) == 0.3339


def test_welch_from_sums_matches_the_textbook_formula():
    a = [12.0, 15.0, 11.0, 19.0, 14.0, 13.0]
    b = [10.0, 9.0, 12.0, 8.0, 11.0]
    interval = stats.mean_difference(
        len(a), sum(a), sum(x * x for x in a), len(b), sum(b), sum(x * x for x in b)
    )
    # Variances 8 and 2.5: se = √(8/6 + 2.5/5) = 1.3540, df = 8.04, t(0.975, 8.04) = 2.3053.
    assert round(interval.estimate, 4) == 4.0
    assert interval.low == pytest.approx(4.0 - 2.3053 * 1.3540, abs=0.005)
    assert interval.high == pytest.approx(4.0 + 2.3053 * 1.3540, abs=0.005)


def test_t_quantile_is_close_to_the_tables():
    assert stats.t_quantile(0.975, 10) == pytest.approx(2.2281, abs=0.001)
    assert stats.t_quantile(0.975, 30) == pytest.approx(2.0423, abs=0.0005)
    assert stats.t_quantile(0.975, 1e9) == pytest.approx(1.96, abs=0.0001)


def test_sample_size_matches_the_usual_table():
    # 10 % → 15 % at alpha 5 %, power 80 %: 686 per group (Fleiss without continuity).
    assert stats.sample_size_per_group(0.10, 0.05) == 686
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats.sample_size_per_group(0.10, 0)


# --- on the dashboard and in the CSV -----------------------------------------------------------


def test_the_dashboard_shows_the_uplift_with_its_charts_and_the_csv_in_dutch(client):
    simulate(members=1200, holdout_percent=30, holdout_rate=0.2, arm_rates={"": (100, 0.3)}, seed=3)
    client.force_login(UserFactory(role=roles.MANAGER))
    client.cookies["django_language"] = "nl"
    page = client.get(reverse("admin:insights_kpirefresh_changelist"), PERIOD).content.decode()
    assert 'id="uplift"' in page or "Uplift van aanbiedingen" in page
    assert "Winback" in page
    assert page.count("<svg") >= 2
    response = client.get(reverse("admin:insights_kpirefresh_export", args=["uplift"]), PERIOD)
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    cells = lines[1].split(";")
    assert cells[0] == "Winback"
    assert int(cells[1]) + int(cells[2]) == 1200
    assert "," in cells[5]  # the uplift in percentage points, with a decimal comma
    assert cells[-1] == ""  # enough members: no note


def test_below_the_minimum_the_dashboard_says_not_enough_members_yet(client):
    simulate(members=150, holdout_percent=10, holdout_rate=0.2, arm_rates={"": (100, 0.3)}, seed=3)
    client.force_login(UserFactory(role=roles.MANAGER))
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:insights_kpirefresh_changelist"), PERIOD).content.decode()
    assert "Not enough members yet: at least 100 in each group" in page


# --- the full liability ------------------------------------------------------------------------


def test_the_liability_counts_points_credit_and_unused_codes_with_breakage():
    from points.models import EntryKind, LoyaltyProgram, PointAccount, PointsEntry
    from rewards.models import IssuedReward, StoreCreditAccount
    from tests.factories import MemberFactory, RewardFactory

    program = LoyaltyProgram.current()
    program.point_value = Decimal("0.05")
    program.save()
    anna, bert = MemberFactory(), MemberFactory()
    PointAccount.objects.filter(member=anna).update(balance=1000)  # € 50
    StoreCreditAccount.objects.create(member=bert, balance=Decimal("12.50"))
    now = timezone.now()
    fixed = RewardFactory(points_cost=0, fixed=True)  # € 5
    live = {"status": "issued", "issued_at": now, "source": "campaign"}
    IssuedReward.objects.create(
        reward=fixed, member=anna, code="LIVE1", value=Decimal("5"), expires_at=now + DAY, **live
    )
    # History: one code used, three expired unused → 75 % breakage.
    IssuedReward.objects.create(
        reward=fixed,
        member=anna,
        code="USED1",
        value=Decimal("5"),
        status="used",
        used_at=now - DAY,
        expires_at=now + DAY,
        issued_at=now - 9 * DAY,
        source="campaign",
    )
    for index in range(3):
        IssuedReward.objects.create(
            reward=fixed,
            member=bert,
            code=f"GONE{index}",
            value=Decimal("5"),
            status="expired",
            expires_at=now - DAY,
            issued_at=now - 9 * DAY,
            source="campaign",
        )
    account = PointAccount.objects.get(member=anna)
    for kind, points in ((EntryKind.EXPIRY, -100), (EntryKind.REDEMPTION, -300)):
        PointsEntry.objects.create(account=account, kind=kind, points=points, balance_after=0)
    rows = {row.kind: row for row in figures.liability().rows}
    assert (rows["points"].outstanding, rows["points"].breakage_percent) == (
        Decimal("50.00"),
        Decimal("25.0"),
    )
    assert rows["points"].expected == Decimal("37.50")
    assert (rows["store_credit"].outstanding, rows["store_credit"].expected) == (
        Decimal("12.50"),
        Decimal("12.50"),
    )
    assert (rows["codes"].outstanding, rows["codes"].quantity) == (Decimal("5.00"), 1)
    assert rows["codes"].breakage_percent == Decimal("75.0")
    assert rows["codes"].expected == Decimal("1.25")


def test_the_liability_counts_pending_points_with_refund_breakage_in_the_total():
    from points.models import EntryKind, LoyaltyProgram, PointAccount, PointsEntry
    from tests.factories import MemberFactory

    # given: a point value of € 0.05, 2,000 pending points (€ 100) and 1,000 points (€ 50)
    program = LoyaltyProgram.current()
    program.point_value = Decimal("0.05")
    program.save()
    anna = MemberFactory()
    PointAccount.objects.filter(member=anna).update(balance=1000, pending_balance=2000)
    account = PointAccount.objects.get(member=anna)
    now = timezone.now()

    def entry(kind, points=0, pending=0):
        return PointsEntry.objects.create(
            account=account,
            kind=kind,
            points=points,
            pending_points=pending,
            pending_until=now if pending > 0 else None,
            balance_after=0,
        )

    # history: of 1,000 pending points decided, 200 were cancelled by refunds (20 %) and 800
    # released; of the points, 100 expired and 300 were redeemed (25 % breakage)
    earned = entry(EntryKind.EARN, pending=1000)
    PointsEntry.objects.create(
        account=account,
        kind=EntryKind.PENDING_CANCEL,
        points=0,
        pending_points=-200,
        corrects=earned,
        balance_after=0,
    )
    PointsEntry.objects.create(
        account=account,
        kind=EntryKind.RELEASE,
        points=800,
        pending_points=-800,
        corrects=earned,
        balance_after=0,
    )
    entry(EntryKind.EXPIRY, points=-100)
    entry(EntryKind.REDEMPTION, points=-300)

    # when
    liability = figures.liability()

    # then: pending breakage = 1 − 0.8 × 0.75 = 40 %; expected € 100 × 0.6 = € 60
    rows = {row.kind: row for row in liability.rows}
    pending = rows["pending_points"]
    assert (pending.outstanding, pending.quantity) == (Decimal("100.00"), 2000)
    assert (pending.breakage_percent, pending.expected) == (Decimal("40.0"), Decimal("60.00"))
    assert (liability.outstanding, liability.expected) == (Decimal("150.00"), Decimal("97.50"))


def test_pending_points_without_history_have_no_breakage():
    from points.models import LoyaltyProgram, PointAccount
    from tests.factories import MemberFactory

    program = LoyaltyProgram.current()
    program.point_value = Decimal("0.01")
    program.save()
    PointAccount.objects.filter(member=MemberFactory()).update(pending_balance=150)

    pending = {row.kind: row for row in figures.liability().rows}["pending_points"]

    assert (pending.outstanding, pending.breakage_percent, pending.expected) == (
        Decimal("1.50"),
        None,
        Decimal("1.50"),
    )


def test_the_liability_csv_and_dashboard_show_the_pending_points_line(client):
    from points.models import LoyaltyProgram, PointAccount
    from tests.factories import MemberFactory

    # given: 700 pending points at € 0.01
    program = LoyaltyProgram.current()
    program.point_value = Decimal("0.01")
    program.save()
    PointAccount.objects.filter(member=MemberFactory()).update(pending_balance=700)
    client.force_login(UserFactory(role=roles.MANAGER))
    client.cookies["django_language"] = "en"

    # when
    page = client.get(reverse("admin:insights_kpirefresh_changelist"), PERIOD).content.decode()
    response = client.get(reverse("admin:insights_kpirefresh_export", args=["liability"]), PERIOD)

    # then: its own line, in the table, the chart and the CSV
    assert page.count("Pending points") >= 2
    lines = b"".join(response.streaming_content).decode("utf-8").splitlines()
    pending = next(line.split(",") for line in lines if line.startswith("Pending points"))
    assert pending[1:4] == ["700", "7.00", ""]
    assert lines[-1].split(",")[2] == "7.00"  # in the total
