from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Member
from core.money import money_str
from points.models import PointAccount, Tier
from points.selectors import account_of
from points.tiers import tier_by_id, tiers_all

from .models import CodeUse, IssuedReward, Reward, StoreCreditAccount, StoreCreditEntry
from .services.redemption import tier_allows


@dataclass(frozen=True)
class CatalogueItem:
    reward: Reward
    is_affordable: bool
    is_exclusive: bool


def catalogue_for(
    *, member: Member, account: PointAccount | None, personal_first: bool = False
) -> list[CatalogueItem]:
    """Rewards this member can see: for sale, on offer, in stock, and within their tier,
    cheapest first; with `personal_first` (the portal), those exclusive to their tier lead."""
    tier: Tier | None = account.tier if account is not None and account.tier_id else None
    balance = account.balance if account else 0
    rewards = Reward.objects.available().filter(points_cost__gt=0).select_related("minimum_tier")
    items = [
        CatalogueItem(
            reward=reward,
            is_affordable=balance >= reward.points_cost,
            is_exclusive=reward.minimum_tier_id is not None,
        )
        for reward in rewards
        if tier_allows(tier, reward)
    ]
    if personal_first:
        items.sort(key=lambda item: not item.is_exclusive)  # stable: cheapest first stays
    return items


def rewards_unlocked_by(tier: Tier | None, *, limit: int = 3) -> list[Reward]:
    """Rewards on offer now that members of `tier` and up may choose (what reaching it unlocks)."""
    if tier is None:
        return []
    return list(Reward.objects.available().filter(minimum_tier=tier)[:limit])


def rewards_by_points_entry(entry_ids) -> dict[int, Reward]:
    """The reward each of these redemption ledger entries bought, by entry id."""
    issued = IssuedReward.objects.filter(points_entry_id__in=entry_ids).select_related("reward")
    return {code.points_entry_id: code.reward for code in issued if code.points_entry_id}


def unused_codes_for(*, member: Member):
    return (
        IssuedReward.objects.filter(
            member=member, status=IssuedReward.Status.ISSUED, expires_at__gt=timezone.now()
        )
        .exclude(code__isnull=True)
        .select_related("reward")
        .order_by("expires_at", "pk")
    )


def code_status_counts(*, member: Member) -> dict[str, int]:
    """The member's codes by status as the member sees it: a code past its date is expired even
    before the nightly job marks it so."""
    now = timezone.now()
    live = Q(status=IssuedReward.Status.ISSUED, expires_at__gt=now)
    return IssuedReward.objects.filter(member=member).aggregate(
        unused=Count("pk", filter=live),
        used=Count("pk", filter=Q(status=IssuedReward.Status.USED)),
        expired=Count(
            "pk",
            filter=Q(status=IssuedReward.Status.EXPIRED)
            | Q(status=IssuedReward.Status.ISSUED, expires_at__lte=now),
        ),
        revoked=Count("pk", filter=Q(status=IssuedReward.Status.REVOKED)),
    )


def codes_for(*, member: Member):
    return (
        IssuedReward.objects.filter(member=member)
        .select_related("reward")
        .order_by("-issued_at", "-pk")
    )


def store_credit_entries_for(*, member: Member):
    """The member's store-credit entries, newest first, with the purchase and store they were
    spent at."""
    return (
        StoreCreditEntry.objects.filter(account__member=member)
        .select_related("purchase__store")
        .order_by("-id")
    )


def store_credit_balance(*, member: Member) -> Decimal:
    return StoreCreditAccount.objects.filter(member=member).values_list(
        "balance", flat=True
    ).first() or Decimal("0.00")


@dataclass(frozen=True)
class CreditMismatch:
    account_id: int
    card_number: str
    balance: Decimal
    entries_sum: Decimal


def store_credit_mismatches() -> list[CreditMismatch]:
    accounts = (
        StoreCreditAccount.objects.annotate(
            entries_sum=Coalesce(Sum("entries__amount"), Decimal("0"))
        )
        .values_list("pk", "member__card_number", "balance", "entries_sum")
        .order_by("pk")
    )
    mismatches = []
    # Compared here, in Decimal and rounded to cents: SQLite sums decimals as floats.
    for pk, card, balance, entries_sum in accounts.iterator(chunk_size=2000):
        total = Decimal(str(entries_sum)).quantize(Decimal("0.01"))
        if total != balance:
            mismatches.append(CreditMismatch(pk, card, balance, total))
    return mismatches


def store_credit_ledger_problems() -> list[str]:
    return [
        f"MISMATCH store credit account {m.account_id} (card {m.card_number}): "
        f"balance {money_str(m.balance)}, entries add up to {money_str(m.entries_sum)}"
        for m in store_credit_mismatches()
    ]


@dataclass(frozen=True)
class NextReward:
    """The cheapest reward the member is still saving for."""

    reward: Reward
    points_missing: int
    percent: int  # of its cost the member already has, 0–99


def next_reward_for(*, catalogue: list[CatalogueItem], balance: int) -> NextReward | None:
    """The cheapest reward of the member's catalogue they cannot afford yet, or None when they
    can afford every one (or there are none)."""
    saving_for = [item.reward for item in catalogue if not item.is_affordable]
    if not saving_for:
        return None
    reward = min(saving_for, key=lambda reward: (reward.points_cost, reward.pk))
    have = max(0, balance)
    return NextReward(
        reward=reward,
        points_missing=reward.points_cost - have,
        percent=min(99, have * 100 // reward.points_cost),
    )


@dataclass(frozen=True)
class Savings:
    """What the programme saved the member, in euros."""

    discounts: Decimal  # codes used at the till, less those a refund gave back
    store_credit: Decimal  # credit paid with, less what refunds returned
    codes_used: int

    @property
    def total(self) -> Decimal:
        return self.discounts + self.store_credit


def savings_for(*, member: Member) -> Savings:
    """Discounts from the member's codes and store credit they paid with, net of refunds."""
    uses = CodeUse.objects.filter(issued_reward__member=member, restored_at__isnull=True).aggregate(
        total=Sum("discount"), count=Count("pk")
    )
    credit = StoreCreditEntry.objects.filter(account__member=member).aggregate(
        spent=Sum("amount", filter=Q(kind=StoreCreditEntry.Kind.SPEND)),
        returned=Sum("amount", filter=Q(kind=StoreCreditEntry.Kind.REFUND)),
    )
    # Sums in Decimal and to the cent: SQLite sums decimals as floats.
    discounts = _cents(uses["total"])
    store_credit = max(Decimal("0.00"), -_cents(credit["spent"]) - _cents(credit["returned"]))
    return Savings(discounts=discounts, store_credit=store_credit, codes_used=uses["count"])


def _cents(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


PERSONAL_SOURCES = [
    IssuedReward.Source.CAMPAIGN,
    IssuedReward.Source.TIER_GIFT,
    IssuedReward.Source.STAFF,
]


def is_personal_offer(issued: IssuedReward) -> bool:
    """Given to this member (a campaign, a tier gift, staff), not bought with points."""
    return issued.source in PERSONAL_SOURCES


def personal_offers_for(*, member: Member):
    """The member's unused codes that were given to them, soonest to expire first."""
    return unused_codes_for(member=member).filter(source__in=PERSONAL_SOURCES)


@dataclass(frozen=True)
class TierBenefits:
    tier: Tier
    is_current: bool
    is_reached: bool
    exclusive_rewards: tuple[Reward, ...]  # for sale to this tier and higher (from this one on)
    gifts: tuple[Reward, ...]  # given on reaching it


def tier_benefits(*, account: PointAccount | None) -> list[TierBenefits]:
    """Every tier with what it brings, the member's own marked: the tier benefits table."""
    current = tier_by_id(account.tier_id) if account is not None else None
    rewards = list(
        Reward.objects.on_offer()
        .filter(Q(minimum_tier__isnull=False) | Q(gift_for_tier__isnull=False))
        .order_by("points_cost", "pk")
    )
    return [
        TierBenefits(
            tier=tier,
            is_current=current is not None and tier.pk == current.pk,
            is_reached=current is not None and tier.rank <= current.rank,
            exclusive_rewards=tuple(r for r in rewards if r.minimum_tier_id == tier.pk),
            gifts=tuple(r for r in rewards if r.gift_for_tier_id == tier.pk),
        )
        for tier in tiers_all()
    ]


@dataclass(frozen=True)
class MemberRewards:
    """What a member can get, as the tills and the web shop show it."""

    points_balance: int
    catalogue: list[CatalogueItem]
    codes: object  # the unused codes (a queryset)
    store_credit: Decimal


def member_rewards_for(*, member: Member) -> MemberRewards:
    """Rewards the member can see, their unused codes and their store credit."""
    account = account_of(member)
    return MemberRewards(
        points_balance=account.balance if account else 0,
        catalogue=catalogue_for(member=member, account=account),
        codes=unused_codes_for(member=member),
        store_credit=store_credit_balance(member=member),
    )


@dataclass(frozen=True)
class CodeFates:
    """Codes whose fate was decided in a period: used, or expired unused (revoked ones are
    left out: staff took them back, the member never had the choice)."""

    used: int
    expired: int

    @property
    def decided(self) -> int:
        return self.used + self.expired

    @property
    def used_percent(self) -> Decimal | None:
        """The redemption rate; None without history."""
        if not self.decided:
            return None
        return (Decimal(self.used) * 100 / Decimal(self.decided)).quantize(Decimal("0.1"))

    @property
    def expired_percent(self) -> Decimal | None:
        """The breakage of codes; None without history."""
        if not self.decided:
            return None
        return (Decimal(self.expired) * 100 / Decimal(self.decided)).quantize(Decimal("0.1"))


def code_fates(*, since, now, codes=None) -> CodeFates:
    """How many of `codes` (all codes by default) were used, or expired unused, between `since`
    and `now`: the history the liability's breakage and the dry run's redemption rate learn
    from (docs/kpis.md)."""
    codes = IssuedReward.objects.all() if codes is None else codes
    counts = codes.filter(code__isnull=False).aggregate(
        used=Count("pk", filter=Q(used_at__gte=since, used_at__lte=now)),
        expired=Count(
            "pk",
            filter=Q(expires_at__gte=since, expires_at__lte=now, used_at__isnull=True)
            & ~Q(status=IssuedReward.Status.REVOKED),
        ),
    )
    return CodeFates(used=counts["used"], expired=counts["expired"])
