"""Uplift of offers: what an automation (and each of its variants), and a bonus campaign,
earned over its holdout.

Automations, set-based: one aggregate over the deliveries of the period, per automation, variant
and group (members, conversions, and the sum and sum of squares of each delivery's window
revenue, kept on the delivery as purchases and refunds are recorded), and one over the rewards
the treated ones got (discount, store credit, bonus points).

Bonus campaigns: the sums per group and enrolment store kept on `campaigns.models.BonusAudience`
by a batch job (members counted at the campaign's start; buyers, revenue, Σ revenue² and the
campaign's points recounted hourly while it runs), added up for the filter's stores: no query
over purchases at all (an aggregate over a campaign's purchases per buyer takes seconds on a
million members).

The statistics are computed from those sums in `core.stats`, one definition for both. Definitions:
docs/kpis.md "Uplift".
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Store
from campaigns.models import Automation, AutomationArm, BonusAudience, BonusCampaign, Delivery
from core import stats
from points.models import LoyaltyProgram, PointsEntry
from rewards.models import CodeUse, IssuedReward

from .points import money
from .series import KpiFilter

# Below this many members in either group the report shows no rates and no intervals.
MIN_MEMBERS = 100
PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class Group:
    members: int
    conversions: int
    revenue: Decimal  # what the goods sold for (before discounts, after refunds), in the window
    revenue_squares: float  # Σ revenue² per member, for the variance

    @property
    def conversion_rate(self) -> Decimal | None:
        return _percent(self.conversions / self.members) if self.members else None

    @property
    def revenue_per_member(self) -> Decimal | None:
        return money(self.revenue / self.members) if self.members else None


EMPTY = Group(0, 0, Decimal("0"), 0.0)


@dataclass(frozen=True)
class UpliftRow:
    automation_id: int | None  # None: a bonus campaign's row
    arm_id: int | None  # None: the automation as a whole
    name: str
    treated: Group
    holdout: Group
    discount_cost: Decimal  # discounts given at the till with the codes of treated members
    credit_cost: Decimal  # store credit given to treated members
    points_cost: Decimal  # bonus points given to treated members, at the point value
    margin_percent: Decimal
    conversion_uplift: stats.Interval | None  # percentage points
    revenue_uplift: stats.Interval | None  # euros per member
    bonus_campaign_id: int | None = None

    @property
    def enough_members(self) -> bool:
        return self.treated.members >= MIN_MEMBERS and self.holdout.members >= MIN_MEMBERS

    @property
    def cost(self) -> Decimal:
        return self.discount_cost + self.credit_cost + self.points_cost

    @property
    def incremental_revenue(self) -> Decimal | None:
        """(revenue per treated member − per held-out member) × treated members."""
        if not self.enough_members:
            return None
        difference = self.treated.revenue / self.treated.members - (
            self.holdout.revenue / self.holdout.members
        )
        return money(difference * self.treated.members)

    @property
    def incremental_margin(self) -> Decimal | None:
        """The margin on the incremental revenue minus what the offer cost."""
        revenue = self.incremental_revenue
        if revenue is None:
            return None
        return money(revenue * self.margin_percent / 100 - self.cost)


@dataclass(frozen=True)
class Uplift:
    rows: list[UpliftRow]
    min_members: int = MIN_MEMBERS


def _percent(share: float) -> Decimal:
    return Decimal(share * 100).quantize(PERCENT, ROUND_HALF_UP)


def _interval_percent(interval: stats.Interval) -> stats.Interval:
    return stats.Interval(interval.estimate * 100, interval.low * 100, interval.high * 100)


# 1. One aggregate over the period's deliveries of the measured automations, per automation,
# variant and status: how many, how many converted, and the sum and sum of squares of their
# window revenue (kept on each delivery by campaigns.services.conversions as purchases and
# refunds are recorded; a member who did not come back spent 0). No join, no purchase lookup.
_GROUPS_SQL = """
SELECT chosen.automation_id, chosen.arm_id, chosen.status, COUNT(*), COUNT(chosen.converted_at),
       COALESCE(SUM(CASE WHEN chosen.converted_at IS NOT NULL THEN chosen.window_revenue END), 0),
       COALESCE(SUM(CASE WHEN chosen.converted_at IS NOT NULL
           THEN chosen.window_revenue * chosen.window_revenue END), 0)
FROM ({deliveries}) chosen
GROUP BY 1, 2, 3
"""
# 2. Costs: only the treated deliveries that got a reward or bonus points (found by the indexes
# of those two columns), with hash joins to what was given.
_COSTS_SQL = """
SELECT chosen.automation_id, chosen.arm_id,
       COALESCE(SUM(used.discount), 0),
       COALESCE(SUM(CASE WHEN issued.code IS NULL THEN issued.value END), 0),
       COALESCE(SUM(bonus.points), 0)
FROM ({rewarded}) chosen
LEFT JOIN {issued} issued ON issued.id = chosen.issued_reward_id
LEFT JOIN {code_use} used ON used.issued_reward_id = chosen.issued_reward_id
    AND used.restored_at IS NULL
LEFT JOIN {entry} bonus ON bonus.id = chosen.bonus_entry_id
GROUP BY 1, 2
"""


def uplift(kpi_filter: KpiFilter) -> Uplift:
    """Per automation with a holdout (or variants) and per variant: treated vs held out, for
    the deliveries made in the period. One aggregate over the deliveries, one over the rewards
    they gave."""
    start, end = kpi_filter.instants()
    held = Delivery.Status.HELD_OUT
    program = LoyaltyProgram.current()
    bonus_rows = _bonus_campaign_rows(kpi_filter, program)
    measured = list(
        Automation.objects.filter(Q(holdout_percent__gt=0) | Q(arms__isnull=False))
        .values_list("pk", flat=True)
        .distinct()
    )
    if not measured:
        return Uplift(rows=bonus_rows)
    deliveries = Delivery.objects.filter(
        kpi_filter.member_scope(),
        automation_id__in=measured,
        created_at__gte=start,
        created_at__lt=end,
    ).order_by()
    select_sql, params = deliveries.values(
        "automation_id", "arm_id", "status", "converted_at", "window_revenue"
    ).query.sql_with_params()
    rewarded_sql, rewarded_params = (
        deliveries.filter(Q(issued_reward__isnull=False) | Q(bonus_entry__isnull=False))
        .exclude(status=held)
        .values("automation_id", "arm_id", "issued_reward_id", "bonus_entry_id")
        .query.sql_with_params()
    )
    tables = {
        "deliveries": select_sql,
        "rewarded": rewarded_sql,
        "issued": IssuedReward._meta.db_table,
        "code_use": CodeUse._meta.db_table,
        "entry": PointsEntry._meta.db_table,
    }
    counted = {Delivery.Status.SENT, held}
    sums: dict[tuple[int, int | None, bool], list] = {}
    costs: dict[tuple[int, int | None], tuple[Decimal, Decimal, int]] = defaultdict(
        lambda: _NO_COST
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL's JIT compiles these plans for longer than the queries run.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(_GROUPS_SQL.format(**tables), params)
        for automation_id, arm_id, status, count, converted, total, squares in cursor:
            part = sums.setdefault(
                (automation_id, arm_id, status == held), [0, 0, Decimal("0"), 0.0]
            )
            # Members, conversions and revenue count only sent and held-out deliveries.
            if status in counted:
                part[0] += int(count)
                part[1] += int(converted)
                part[2] += Decimal(total)
                part[3] += float(squares)
        cursor.execute(_COSTS_SQL.format(**tables), rewarded_params)
        for automation_id, arm_id, discount, credit, points in cursor:
            costs[(automation_id, arm_id)] = (Decimal(discount), Decimal(credit), int(points))
    groups = {key: Group(*part) for key, part in sums.items()}
    # Only automations with held-out members in the period are measured.
    held_ids = {key[0] for key, group in groups.items() if key[2] and group.members}
    groups = {key: group for key, group in groups.items() if key[0] in held_ids}
    automation_ids = sorted({key[0] for key in groups})
    names = dict(Automation.objects.filter(pk__in=automation_ids).values_list("pk", "name"))
    arm_names = dict(
        AutomationArm.objects.filter(automation_id__in=automation_ids).values_list("pk", "name")
    )
    rows: list[UpliftRow] = []
    for automation_id in sorted(automation_ids, key=lambda pk: (names.get(pk, ""), pk)):
        holdout = groups.get((automation_id, None, True), EMPTY)
        arm_ids = sorted(
            arm
            for (auto, arm, held_out) in groups
            if auto == automation_id and not held_out and arm is not None
        )
        treated_parts = [
            group
            for (auto, _arm, held_out), group in groups.items()
            if auto == automation_id and not held_out
        ]
        cost_parts = [value for (auto, _arm), value in costs.items() if auto == automation_id]
        rows.append(
            _row(
                automation_id,
                None,
                names.get(automation_id, ""),
                _sum_groups(treated_parts),
                holdout,
                _sum_costs(cost_parts),
                program,
            )
        )
        for arm_id in arm_ids:
            rows.append(
                _row(
                    automation_id,
                    arm_id,
                    f"{names.get(automation_id, '')} — {arm_names.get(arm_id, arm_id)}",
                    groups.get((automation_id, arm_id, False), EMPTY),
                    holdout,
                    _sum_costs([costs.get((automation_id, arm_id), _NO_COST)]),
                    program,
                )
            )
    return Uplift(rows=rows + bonus_rows)


_NO_COST = (Decimal("0"), Decimal("0"), 0)


def _sum_groups(parts: list[Group]) -> Group:
    return Group(
        sum(part.members for part in parts),
        sum(part.conversions for part in parts),
        sum((part.revenue for part in parts), Decimal("0")),
        sum(part.revenue_squares for part in parts),
    )


def _sum_costs(parts) -> tuple[Decimal, Decimal, int]:
    return (
        sum((part[0] for part in parts), Decimal("0")),
        sum((part[1] for part in parts), Decimal("0")),
        sum(part[2] for part in parts),
    )


def _row(
    automation_id, arm_id, name, treated, holdout, costs, program, bonus_campaign_id=None
) -> UpliftRow:
    discount, credit, points = costs
    enough = treated.members >= MIN_MEMBERS and holdout.members >= MIN_MEMBERS
    conversion = revenue = None
    if enough:
        conversion = _interval_percent(
            stats.proportion_difference(
                treated.conversions, treated.members, holdout.conversions, holdout.members
            )
        )
        revenue = stats.mean_difference(
            treated.members,
            float(treated.revenue),
            treated.revenue_squares,
            holdout.members,
            float(holdout.revenue),
            holdout.revenue_squares,
        )
    return UpliftRow(
        automation_id=automation_id,
        arm_id=arm_id,
        name=name or _("(deleted automation)"),
        treated=treated,
        holdout=holdout,
        discount_cost=money(discount),
        credit_cost=money(credit),
        points_cost=money(Decimal(points) * program.point_value),
        margin_percent=program.margin_percent,
        conversion_uplift=conversion,
        revenue_uplift=revenue,
        bonus_campaign_id=bonus_campaign_id,
    )


def _bonus_campaign_rows(kpi_filter: KpiFilter, program: LoyaltyProgram) -> list[UpliftRow]:
    """A row per bonus campaign with a holdout that started in the period (and by now), over its
    whole period: the audience counted at its start and its purchases as last counted (both
    kept by campaigns.services.bonus_audiences), for the enrolment stores of the filter."""
    start, end = kpi_filter.instants()
    campaigns = list(
        BonusCampaign.objects.filter(
            holdout_percent__gt=0,
            starts_at__gte=start,
            starts_at__lt=min(end, timezone.now()),
        ).order_by("starts_at", "pk")
    )
    if not campaigns:
        return []
    audiences = {
        audience.campaign_id: audience
        for audience in BonusAudience.objects.filter(
            campaign__in=campaigns, results_at__isnull=False
        ).defer("members")
    }
    store_ids = _filter_store_ids(kpi_filter)
    rows = []
    for campaign in campaigns:
        audience = audiences.get(campaign.pk)
        treated, holdout, points = (
            (EMPTY, EMPTY, 0) if audience is None else _bonus_groups(audience, store_ids)
        )
        rows.append(
            _row(
                None,
                None,
                _("Bonus campaign: %(name)s") % {"name": campaign.translated("name")},
                treated,
                holdout,
                (Decimal("0"), Decimal("0"), points),
                program,
                bonus_campaign_id=campaign.pk,
            )
        )
    return rows


def _filter_store_ids(kpi_filter: KpiFilter) -> set[str] | None:
    """The enrolment stores the filter keeps (as the audience's keys), or None for all."""
    if kpi_filter.store_id:
        return {str(kpi_filter.store_id)}
    if kpi_filter.channel:
        stores = Store.objects.filter(channel=kpi_filter.channel).values_list("pk", flat=True)
        return {str(pk) for pk in stores}
    return None


def _bonus_groups(audience: BonusAudience, store_ids: set[str] | None) -> tuple[Group, Group, int]:
    """(treated, held out, the campaign's points given to the treated members) for the stores."""
    members = [0, 0]
    for store, counts in audience.counts_by_store.items():
        if store_ids is None or store in store_ids:
            members = [members[group] + counts[group] for group in (0, 1)]
    sums: list[list] = [[0, Decimal("0"), 0.0, 0], [0, Decimal("0"), 0.0, 0]]
    for store, results in audience.results_by_store.items():
        if store_ids is None or store in store_ids:
            for group, (buyers, revenue, squares, points) in enumerate(results):
                part = sums[group]
                part[0] += buyers
                part[1] += Decimal(revenue)
                part[2] += squares
                part[3] += points
    treated, held = (
        Group(members[group], sums[group][0], sums[group][1], sums[group][2]) for group in (0, 1)
    )
    return treated, held, sums[0][3]
