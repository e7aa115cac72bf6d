"""Buying a reward with points: idempotent, never overspending, whatever races."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.models import Member, Store
from core import webhooks
from core.errors import ApplicationError, Conflict, Forbidden, MemberBlocked
from core.idempotency import IdempotentAnswer, StoredAnswer, replay_or_run
from core.outcomes import to_record
from core.queries import one_or_none
from points.models import EntryKind, Tier
from points.services import account_lock, fingerprint, points_spend

from ..models import IssuedReward, Reward
from .credit import credit_account_lock
from .issuing import RewardUnavailable, reward_issue


class TierRequired(Forbidden):
    code = "tier_required"


class MemberLimitReached(Conflict):
    code = "member_limit_reached"


class NotForSale(ApplicationError):
    code = "not_for_sale"


@dataclass(frozen=True)
class Redemption:
    """What a redemption bought: the code (none for store credit) and the balances after."""

    reward_id: int
    reward: str
    kind: str
    code: str | None
    expires_at: datetime.datetime | None
    points_spent: int
    points_balance: int
    # A store credit reward: what it added, and the balance after.
    store_credit_added: Decimal | None = None
    store_credit_balance: Decimal | None = None


def code_answer(redemption: Redemption) -> StoredAnswer:
    """The code bought, as text (empty for store credit): what the portal needs on a retry."""
    return StoredAnswer(status=201, content=(redemption.code or "").encode())


def tier_allows(member_tier: Tier | None, reward: Reward) -> bool:
    if reward.minimum_tier is None:
        return True
    return member_tier is not None and member_tier.rank >= reward.minimum_tier.rank


def reward_redeem(
    *,
    store: Store | None,
    member: Member,
    reward_id: int,
    idempotency_key: str,
    render: Callable[[Redemption], StoredAnswer] | None = None,
) -> IdempotentAnswer:
    """Spends points on a reward and issues it, once per idempotency key of the client (a
    store's tills, or the member on the portal when `store` is None).

    Claims the key first (`replay_or_run`: a retry waits, then replays the first answer), then
    locks the member's point account, so parallel redemptions queue and each sees the balance the
    previous one left: with points for N rewards, exactly N succeed. `render` turns the
    `Redemption` into the answer the caller sends (the API's JSON), stored with the key so that
    a retry gets the same bytes; by default the answer is the code bought (`code_answer`).
    """
    render = render or code_answer
    client = f"store:{store.pk}" if store is not None else f"member:{member.pk}"

    def work() -> StoredAnswer:
        reward = one_or_none(
            Reward.objects.on_offer().select_related("minimum_tier").filter(pk=reward_id)
        )
        if reward is None:
            raise RewardUnavailable(_("This reward is not available."), field="reward_id")
        if reward.points_cost == 0:
            raise NotForSale(_("This reward cannot be bought with points."), field="reward_id")
        if not member.is_active:
            raise MemberBlocked(field="card_number")
        return render(_redeem_locked(member, reward, account_lock(member.pk)))

    return replay_or_run(
        client=client,
        key=idempotency_key,
        scope="redeem",
        request_hash=fingerprint({"card_number": member.card_number, "reward_id": reward_id}),
        work=work,
    )


def _redeem_locked(member: Member, reward: Reward, account) -> Redemption:
    if not tier_allows(account.tier, reward):
        raise TierRequired(
            _("This reward is for %(tier)s members and up.") % {"tier": reward.minimum_tier},
            field="reward_id",
            extra={"minimum_tier": str(reward.minimum_tier)},
        )
    if reward.per_member_limit is not None:
        bought = IssuedReward.objects.filter(
            reward=reward, member=member, source=IssuedReward.Source.POINTS
        ).exclude(status=IssuedReward.Status.REVOKED)
        if bought.count() >= reward.per_member_limit:
            raise MemberLimitReached(
                _("This member already has the most of this reward they can buy."),
                field="reward_id",
            )
    entry = points_spend(
        account, points=reward.points_cost, kind=EntryKind.REDEMPTION, note=str(reward)
    )
    issued = reward_issue(
        member=member,
        reward=reward,
        source=IssuedReward.Source.POINTS,
        points_spent=reward.points_cost,
        points_entry=entry,
    )
    credit_added = credit_balance = None
    if not reward.gives_code:
        credit_added = reward.value
        credit_balance = credit_account_lock(member.pk).balance
    redemption = Redemption(
        reward_id=reward.pk,
        reward=str(reward),
        kind=reward.kind,
        code=issued.code or None,
        expires_at=issued.expires_at if issued.code else None,
        points_spent=reward.points_cost,
        points_balance=account.balance,
        store_credit_added=credit_added,
        store_credit_balance=credit_balance,
    )
    webhooks.emit(
        "reward.redeemed",
        {"card_number": member.card_number, **to_record(redemption)},
        member_id=member.pk,
    )
    return redemption
