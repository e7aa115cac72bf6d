from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Member
from core.money import money_str
from points.models import PointAccount, Tier

from .models import IssuedReward, Reward, StoreCreditAccount, StoreCreditEntry
from .services.redemption import tier_allows


@dataclass(frozen=True)
class CatalogueItem:
    reward: Reward
    is_affordable: bool
    is_exclusive: bool


def catalogue_for(*, member: Member, account: PointAccount | None) -> list[CatalogueItem]:
    """Rewards this member can see: for sale, on offer, in stock, and within their tier."""
    tier: Tier | None = account.tier if account is not None and account.tier_id else None
    balance = account.balance if account else 0
    rewards = Reward.objects.available().filter(points_cost__gt=0).select_related("minimum_tier")
    return [
        CatalogueItem(
            reward=reward,
            is_affordable=balance >= reward.points_cost,
            is_exclusive=reward.minimum_tier_id is not None,
        )
        for reward in rewards
        if tier_allows(tier, reward)
    ]


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
