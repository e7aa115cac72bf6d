import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.cards import is_valid_card_number, normalise_card_number
from accounts.models import Member
from accounts.normalise import normalise_email, normalise_phone
from core.config_cache import cached_config
from core.errors import InvalidInput, MemberNotFound
from core.queries import one_or_none

from .earning import RuleSpec, Scope
from .extensions import StampCardProgress, stamp_cards_for
from .models import (
    Activity,
    ActivityType,
    EarningRule,
    EntryKind,
    LoyaltyProgram,
    PointAccount,
    PointsEntry,
    Purchase,
    TierChange,
)
from .score import score_of, score_sql
from .tiers import (
    TierProgress,
    qualifying_points_sql,
    qualifying_sum,
    tier_progress,
    tiers_by_spend,
    window_start,
)

EXPIRING_SOON_DAYS = 30
CENTS = Decimal("0.01")


def member_get_by_card(card_number: str, *, field: str = "card_number") -> Member:
    """A mistyped number (bad check digit) is 400, an unknown valid one 404. A legacy card kept
    on import, or the card of a merged member, finds its member through `CardAlias`."""
    number = normalise_card_number(card_number or "")
    members = Member.objects.select_related("point_account__tier")
    member = None
    if is_valid_card_number(number):
        # A merged member's own number finds the survivor, through its alias below.
        member = one_or_none(members.filter(card_number=number, merged_into__isnull=True))
    if member is None and 0 < len(number) <= 32:
        member = one_or_none(members.filter(card_aliases__number=number))
    if member is None and not is_valid_card_number(number):
        raise InvalidInput(
            _("This is not a valid card number; check the digits."),
            code="invalid_card_number",
            field=field,
        )
    if member is None:
        raise MemberNotFound(field=field)
    return member


def member_find(*, field: str, value: str) -> Member:
    """The member with this card number, e-mail or phone (`field`), as a till or the web shop
    types it: normalised first; a typo in a card number is 400, anyone unknown 404."""
    if field == "card_number":
        return member_get_by_card(value)
    normalised = normalise_email(value) if field == "email" else normalise_phone(value)
    member = one_or_none(Member.objects.filter(**{field: normalised}))
    if member is None:
        raise MemberNotFound(_("No member found."), field=field)
    return member


def account_of(member: Member) -> PointAccount | None:
    try:
        return member.point_account
    except PointAccount.DoesNotExist:
        return None


def points_expiring_by(*, account: PointAccount | None, until: datetime.datetime) -> int:
    """Points that will have expired by `until` if none are spent before then.

    Spending consumes the oldest points first, so what expires by `until` is whatever part of the
    balance is not covered by credits that are still valid after `until`.
    """
    if account is None or account.balance <= 0:
        return 0
    still_valid = (
        PointsEntry.objects.filter(account=account, points__gt=0)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=until))
        .aggregate(total=Sum("points"))["total"]
        or 0
    )
    return max(0, account.balance - still_valid)


def next_expiry_date(*, account: PointAccount | None, until: datetime.datetime):
    if account is None or account.balance <= 0:
        return None
    return (
        PointsEntry.objects.filter(
            account=account,
            expires_at__isnull=False,
            expires_at__gt=timezone.now(),
            expires_at__lte=until,
        )
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
        .first()
    )


@dataclass(frozen=True)
class MemberSummary:
    member: Member
    account: PointAccount | None
    points_balance: int
    points_expiring_soon: int
    points_expiring_by: datetime.datetime
    tier: TierProgress
    qualifying_points: int = 0
    loyalty_score: int = 0
    stamp_cards: tuple[StampCardProgress, ...] = ()

    @property
    def tier_basis_name(self) -> str:
        return "spend" if self.tier.by_spend else "points"

    @property
    def tier_spend(self) -> Decimal | None:
        return Decimal(self.tier.qualifying_points) if self.tier.by_spend else None

    @property
    def tier_spend_to_next(self) -> Decimal | None:
        to_next = self.tier.points_to_next_tier
        return Decimal(to_next) if self.tier.by_spend and to_next is not None else None

    # Earned inside a return window: shown, not spendable until each `release_at`.
    points_pending: tuple["PendingPoints", ...] = ()

    @property
    def points_pending_total(self) -> int:
        return sum(item.points for item in self.points_pending)


def member_summary_get(*, member: Member) -> MemberSummary:
    """Balance, points expiring in 30 days, tier progress, the loyalty score and the stamp cards:
    one aggregate over the member's entries gives both the qualifying points and the credits
    still valid."""
    account = account_of(member)
    now = timezone.now()
    until = now + datetime.timedelta(days=EXPIRING_SOON_DAYS)
    qualifying, still_valid = 0, 0
    if account is not None:
        start = window_start(now)
        in_window = Q(is_qualifying=True, effective_at__lte=now)
        if start is not None:
            in_window &= Q(effective_at__gt=start)
        totals = PointsEntry.objects.filter(account=account).aggregate(
            qualifying=qualifying_sum(filter=in_window),
            still_valid=Sum(
                "points",
                filter=Q(points__gt=0) & (Q(expires_at__isnull=True) | Q(expires_at__gt=until)),
            ),
        )
        qualifying = totals["qualifying"] or 0
        still_valid = totals["still_valid"] or 0
    return _member_summary(
        member,
        account,
        now=now,
        until=until,
        qualifying=qualifying,
        still_valid=still_valid,
        score=score_of(member.pk, now=now),
    )


def _member_summary(
    member: Member,
    account: PointAccount | None,
    *,
    now: datetime.datetime,
    until: datetime.datetime,
    qualifying: int,
    still_valid: int,
    score: int,
) -> MemberSummary:
    qualifying = max(0, qualifying)
    balance = account.balance if account else 0
    return MemberSummary(
        member=member,
        account=account,
        points_balance=balance,
        points_expiring_soon=max(0, balance - still_valid) if balance > 0 else 0,
        points_expiring_by=until,
        tier=tier_progress(account, points=qualifying),
        qualifying_points=qualifying,
        loyalty_score=score,
        stamp_cards=stamp_cards_for(member),
        points_pending=tuple(pending_points_of(account)),
    )


# What the summary's one query reads of the member and of the account.
_SUMMARY_MEMBER_FIELDS = ("id", "card_number", "first_name", "last_name", "language", "status")
_SUMMARY_ACCOUNT_FIELDS = ("id", "member_id", "balance", "pending_balance", "tier_id")


def member_summary_by_card(card_number: str) -> MemberSummary:
    """`member_summary_get(member=member_get_by_card(card_number))` in one round trip, for the
    till's everyday call (a valid number of a member's own card, tiers by points): the member,
    the account, the qualifying points, the credits still valid and the score in one
    hand-written query, each rule's parameters from its one definition (`window_start`,
    `qualifying_points_sql`, `score_sql`). Any other card (an alias, a merged member's, a
    mistyped or unknown number) and programmes with tiers by spend take the general path, which
    also gives the errors. tests/points/test_member_summary_fast.py compares the two."""
    number = normalise_card_number(card_number or "")
    if not is_valid_card_number(number) or tiers_by_spend():
        return member_summary_get(member=member_get_by_card(card_number))
    now = timezone.now()
    until = now + datetime.timedelta(days=EXPIRING_SOON_DAYS)
    qualifying_sql, qualifying_params = qualifying_points_sql("a.id", now)
    score_sql_text, score_params = score_sql("m.id", now)
    member_columns = ", ".join(f"m.{name}" for name in _SUMMARY_MEMBER_FIELDS)
    account_columns = ", ".join(f"a.{name}" for name in _SUMMARY_ACCOUNT_FIELDS)
    sql = (
        f"SELECT {member_columns}, m.enrolled_at, {account_columns}, a.tier_valid_until, "
        f"({qualifying_sql}), "
        f"(SELECT SUM(e.points) FROM {PointsEntry._meta.db_table} e WHERE e.account_id = a.id "
        "AND e.points > 0 AND (e.expires_at IS NULL OR e.expires_at > %s)), "
        f"({score_sql_text}) "
        f"FROM {Member._meta.db_table} m "
        f"LEFT JOIN {PointAccount._meta.db_table} a ON a.member_id = m.id "
        "WHERE m.card_number = %s AND m.merged_into_id IS NULL"
    )
    params = [
        *qualifying_params,
        connection.ops.adapt_datetimefield_value(until),
        *score_params,
        number,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:  # an alias, a merged member's card, an unknown number
        return member_summary_get(member=member_get_by_card(card_number))
    member_count = len(_SUMMARY_MEMBER_FIELDS)
    account_count = len(_SUMMARY_ACCOUNT_FIELDS)
    member = Member.from_db(
        connection.alias,
        [*_SUMMARY_MEMBER_FIELDS, "enrolled_at"],
        [*row[:member_count], _aware(row[member_count])],
    )
    account_row = row[member_count + 1 : member_count + 1 + account_count]
    account = None
    if account_row[0] is not None:
        account = PointAccount.from_db(
            connection.alias,
            [*_SUMMARY_ACCOUNT_FIELDS, "tier_valid_until"],
            [*account_row, _aware(row[member_count + 1 + account_count])],
        )
        member._state.fields_cache["point_account"] = account
    qualifying, still_valid, score = row[-3:]
    return _member_summary(
        member,
        account,
        now=now,
        until=until,
        # int(): PostgreSQL's SUM of a bigint is numeric (a Decimal), which JSON would write
        # as 780.0 where the schema says integer.
        qualifying=int(qualifying or 0),
        still_valid=int(still_valid or 0),
        score=int(score or 0),
    )


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    """A datetime read by a raw query: SQLite gives it naive, in UTC."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, datetime.UTC)
    return value


# A purchase refunded in full (a zero purchase never is): it no longer counts as a stamp, a
# first purchase or a referral's qualifying purchase (#18).
FULLY_REFUNDED = Q(refunded_amount__gt=0, refunded_amount__gte=F("amount") - F("discount_total"))


def purchases_counting(queryset):
    """The purchases of `queryset` that still count: not refunded in full."""
    return queryset.exclude(FULLY_REFUNDED)


def refund_completes_purchase(*, purchase: Purchase, refund_amount: Decimal) -> bool:
    """Whether this refund (already added to `purchase.refunded_amount`) is the one that
    refunded the purchase in full."""
    return (
        purchase.refunded_amount > 0
        and purchase.refunded_amount >= purchase.net_amount
        and purchase.refunded_amount - refund_amount < purchase.net_amount
    )


def pending_unreleased():
    """Pending EARN entries not released yet, with `remaining` = their points that a refund
    did not cancel (only those with some left)."""
    cancelled = (
        PointsEntry.objects.filter(corrects=OuterRef("pk"), kind=EntryKind.PENDING_CANCEL)
        .values("corrects")
        .annotate(total=Sum("pending_points"))
        .values("total")
    )
    released = PointsEntry.objects.filter(corrects=OuterRef("pk"), kind=EntryKind.RELEASE)
    return (
        PointsEntry.objects.filter(kind=EntryKind.EARN, pending_points__gt=0)
        .exclude(Exists(released))
        .annotate(
            remaining=F("pending_points")
            + Coalesce(Subquery(cancelled, output_field=BigIntegerField()), Value(0))
        )
        .filter(remaining__gt=0)
    )


@dataclass(frozen=True)
class PendingPoints:
    points: int
    release_at: datetime.datetime
    transaction_id: str | None


def pending_points_of(account: PointAccount | None) -> list[PendingPoints]:
    """The member's pending points by purchase, soonest release first: what refunds left of
    them; released ones are spendable and gone from here."""
    if account is None or account.pending_balance <= 0:
        return []
    rows = (
        pending_unreleased()
        .filter(account=account)
        .order_by("pending_until", "pk")
        .values_list("remaining", "pending_until", "purchase__transaction_id")
    )
    return [PendingPoints(*row) for row in rows]


# How the member's history groups the ledger kinds (the portal's "show" filter).
LEDGER_KIND_GROUPS = {
    "earned": ["earn", "activity", "bonus", "release", "opening"],
    "spent": ["redemption"],
    "expired": ["expiry"],
    "corrections": [
        "adjustment",
        "refund_reversal",
        "redemption_reversal",
        "pending_cancel",
        "merge_in",
        "merge_out",
    ],
}


def happened_at_expression() -> Case:
    """When what an entry records happened: the purchase's time for a purchase's points (a till
    may post up to 90 days late), the refund's for a refund, the activity's (its `effective_at`)
    for an activity; when it was written for everything else."""
    return Case(
        When(refund__isnull=False, then=F("refund__created_at")),
        When(purchase__isnull=False, then=F("purchase__occurred_at")),
        default=F("effective_at"),
        output_field=DateTimeField(),
    )


def ledger_entries_for(
    *,
    member: Member,
    group: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """The member's ledger, newest posting first, each entry with `happened_at` (see
    `happened_at_expression`); optionally one group of kinds (`LEDGER_KIND_GROUPS`) and the days
    it happened from and until (both included, in the local time zone)."""
    entries = (
        PointsEntry.objects.filter(account__member=member)
        .select_related("purchase__store", "refund", "activity__activity_type", "staff_user")
        .annotate(happened_at=happened_at_expression())
        .order_by("-id")
    )
    if group:
        entries = entries.filter(kind__in=LEDGER_KIND_GROUPS[group])
    if date_from:
        entries = entries.filter(happened_at__date__gte=date_from)
    if date_to:
        entries = entries.filter(happened_at__date__lte=date_to)
    return entries


def member_history_for(
    *,
    member: Member,
    group: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """The member's ledger as the member reads it: by the date things happened, latest first
    (a purchase posted late sits at its purchase date)."""
    return ledger_entries_for(
        member=member, group=group, date_from=date_from, date_to=date_to
    ).order_by("-happened_at", "-id")


def points_per_month_for(*, member: Member, since: datetime.date) -> dict[datetime.date, dict]:
    """Points earned (positive entries) and spent or expired (negative, as a positive number)
    per month in which they happened, from `since` on: {first day of the month: {...}}."""
    rows = (
        PointsEntry.objects.filter(account__member=member)
        .annotate(happened_at=happened_at_expression())
        .filter(happened_at__date__gte=since)
        .annotate(month=TruncMonth("happened_at"))
        .values("month")
        .annotate(
            earned=Sum("points", filter=Q(points__gt=0)),
            spent=Sum("points", filter=Q(points__lt=0)),
        )
        .order_by("month")
    )
    return {
        _as_date(row["month"]): {"earned": row["earned"] or 0, "spent": -(row["spent"] or 0)}
        for row in rows
    }


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def tier_progress_percent(progress: TierProgress) -> int:
    """How far the member is towards the next tier, 0–100 (100 at the top tier)."""
    next_tier = progress.next_tier
    if next_tier and next_tier.threshold:
        return min(100, round(100 * progress.qualifying_points / next_tier.threshold))
    return 100


def points_money_value(points: int, *, program: LoyaltyProgram | None = None) -> Decimal:
    """What a number of points is worth in euros (the programme's point value), to the cent."""
    program = program or LoyaltyProgram.current()
    return (points * program.point_value).quantize(CENTS)


def tier_changes_for(*, member: Member):
    """The member's tier changes, newest first, with both tiers."""
    return TierChange.objects.filter(account__member=member).select_related("from_tier", "to_tier")


def purchases_for(*, member: Member):
    """The member's purchases, latest first, with their store and refunds."""
    return (
        Purchase.objects.filter(member=member)
        .select_related("store")
        .prefetch_related("refunds")
        .order_by("-occurred_at", "-pk")
    )


def purchase_totals_by_store(*, member: Member):
    """Per store and channel: the member's number of purchases, amount spent and refunded; the
    store bought at most often first."""
    return (
        Purchase.objects.filter(member=member)
        .values("store__code", "store__name", "channel")
        .annotate(count=Count("pk"), amount=Sum("amount"), refunded=Sum("refunded_amount"))
        .order_by("-count", "store__code")
    )


def activities_for(*, member: Member):
    """The member's activities (reviews, visits…), latest first."""
    return (
        Activity.objects.filter(member=member)
        .select_related("activity_type", "store")
        .order_by("-occurred_at", "-pk")
    )


def pending_points_text(pending: "tuple[PendingPoints, ...] | list[PendingPoints]") -> str:
    """The member's pending points in one sentence, in the active language ("" if none)."""
    if not pending:
        return ""
    total = sum(item.points for item in pending)
    first = timezone.localtime(pending[0].release_at).date()
    date = formats.date_format(first, "SHORT_DATE_FORMAT")
    if len(pending) == 1:
        return _(
            "%(points)s points are pending: you can spend them from %(date)s, once the "
            "return period of your purchase is over."
        ) % {"points": total, "date": date}
    return _(
        "%(points)s points are pending: they become spendable when the return period of each "
        "purchase is over, the first ones on %(date)s."
    ) % {"points": total, "date": date}


def entry_description(entry: PointsEntry) -> str:
    """A ledger line in plain words, in the active language."""
    if entry.kind == PointsEntry.Kind.EARN and entry.purchase is not None:
        if entry.pending_points:
            return _("Purchase at %(store)s (pending until %(date)s)") % {
                "store": entry.purchase.store.name,
                "date": formats.date_format(
                    timezone.localtime(entry.pending_until).date(), "SHORT_DATE_FORMAT"
                ),
            }
        return _("Purchase at %(store)s") % {"store": entry.purchase.store.name}
    if entry.kind == PointsEntry.Kind.RELEASE and entry.purchase is not None:
        return _("Pending points of a purchase at %(store)s released") % {
            "store": entry.purchase.store.name
        }
    if entry.kind == PointsEntry.Kind.PENDING_CANCEL and entry.purchase is not None:
        return _("Pending points cancelled: purchase at %(store)s returned") % {
            "store": entry.purchase.store.name
        }
    if entry.kind == PointsEntry.Kind.REFUND_REVERSAL and entry.purchase is not None:
        return _("Refund of a purchase at %(store)s") % {"store": entry.purchase.store.name}
    if entry.kind == PointsEntry.Kind.ACTIVITY and entry.activity is not None:
        return _("Activity: %(name)s") % {"name": entry.activity.activity_type.translated("name")}
    if entry.kind == PointsEntry.Kind.ADJUSTMENT:
        return _("Correction by staff: %(reason)s") % {"reason": entry.reason}
    label = str(entry.get_kind_display())
    return f"{label}: {entry.note}" if entry.note else label


def label_in_language(name_nl: str, name_en: str) -> str:
    return name_en if (get_language() or "nl").startswith("en") and name_en else name_nl


EARNING_RULES_CACHE_KEY = "points:earning-rules"


def earning_rules_active() -> list[RuleSpec]:
    """The active rules as plain specs; cached (see core.config_cache), forgotten on save."""
    return cached_config(EARNING_RULES_CACHE_KEY, _load_earning_rules)


def _load_earning_rules() -> list[RuleSpec]:
    rules = EarningRule.objects.filter(is_active=True).prefetch_related("stores")
    return [
        RuleSpec(
            id=rule.pk,
            kind=rule.kind,
            name_nl=rule.name_nl,
            name_en=rule.name_en,
            scope=Scope.of(rule),
            points_per_unit=rule.points_per_unit,
            multiplier=rule.multiplier,
            bonus_points=rule.bonus_points,
            minimum_spend=rule.minimum_spend,
            priority=rule.priority,
            valid_from=rule.valid_from,
            valid_until=rule.valid_until,
        )
        for rule in rules
    ]


@dataclass(frozen=True)
class LedgerMismatch:
    account_id: int
    card_number: str
    balance: int
    entries_sum: int
    pending_balance: int = 0
    pending_sum: int = 0


def ledger_mismatches() -> list[LedgerMismatch]:
    """Accounts whose cached balance or pending points differ from the sums of their entries
    (one query)."""
    accounts = (
        PointAccount.objects.annotate(
            entries_sum=Coalesce(Sum("entries__points"), 0),
            pending_sum=Coalesce(Sum("entries__pending_points"), 0),
        )
        .exclude(balance=F("entries_sum"), pending_balance=F("pending_sum"))
        .values_list(
            "pk", "member__card_number", "balance", "entries_sum", "pending_balance", "pending_sum"
        )
        .order_by("pk")
    )
    return [LedgerMismatch(*row) for row in accounts]


@dataclass(frozen=True)
class Coverage:
    """What a rule or bonus campaign covers, as the member reads it."""

    categories: tuple[str, ...]  # empty = everything
    excluded_categories: tuple[str, ...]
    minimum_spend: Decimal
    channel: str  # online / offline; empty = both
    in_some_stores: bool

    @classmethod
    def of(cls, scope: Scope, minimum_spend: Decimal) -> "Coverage":
        return cls(
            categories=tuple(sorted(scope.categories)),
            excluded_categories=tuple(sorted(scope.excluded_categories)),
            minimum_spend=minimum_spend,
            channel=scope.channel,
            in_some_stores=bool(scope.store_ids),
        )

    @property
    def is_limited(self) -> bool:
        """Covers less than every purchase everywhere."""
        return bool(
            self.categories
            or self.excluded_categories
            or self.minimum_spend
            or self.channel
            or self.in_some_stores
        )


@dataclass(frozen=True)
class EarningWay:
    """An earning rule in force, as a member reads it on the "ways to earn" page."""

    kind: str  # EarningRule.Kind: base_rate, multiplier, fixed_bonus
    name: str
    points_per_euro: Decimal
    multiplier: Decimal
    bonus_points: int
    coverage: Coverage
    valid_until: datetime.datetime | None


def earning_ways_in_force(*, now: datetime.datetime | None = None) -> list[EarningWay]:
    """The earning rules in force now, in the order the engine applies them (base rates first,
    then by priority): the same rules the tills' purchases earn by."""
    now = now or timezone.now()
    rules = sorted(
        (rule for rule in earning_rules_active() if rule.is_in_force(now)),
        key=lambda rule: (rule.kind != EarningRule.Kind.BASE_RATE, -rule.priority, rule.id),
    )
    # Only one base rate counts per purchase (the first that applies): those after one that
    # applies to every purchase never do, so they are not shown.
    first_general = next(
        (
            index
            for index, rule in enumerate(rules)
            if rule.kind == EarningRule.Kind.BASE_RATE
            and rule.scope == Scope()
            and not rule.minimum_spend
        ),
        None,
    )
    if first_general is not None:
        rules = [
            rule
            for index, rule in enumerate(rules)
            if rule.kind != EarningRule.Kind.BASE_RATE or index <= first_general
        ]
    return [
        EarningWay(
            kind=rule.kind,
            name=label_in_language(rule.name_nl, rule.name_en),
            points_per_euro=rule.points_per_unit,
            multiplier=rule.multiplier,
            bonus_points=rule.bonus_points,
            coverage=Coverage.of(rule.scope, rule.minimum_spend),
            valid_until=rule.valid_until,
        )
        for rule in rules
    ]


def activity_types_open():
    """What else earns points (reviews, visits…): the active activity types, most points first."""
    return ActivityType.objects.filter(is_active=True).order_by("-points", "code")
