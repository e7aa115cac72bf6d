"""Checkout: validating a basket's codes and store credit, and consuming them with a purchase.

One module (just over 400 lines): the decision and its application share their types and must
be read together to see that what was validated is what gets consumed.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Member
from core import webhooks
from core.errors import ApplicationError, Conflict, InvalidInput, MemberBlocked
from core.money import money_str
from points import extensions
from points.earning import BasketLine
from points.models import PointAccount, Purchase, Refund

from .. import guessing
from ..budgets import codes_budget_settle
from ..checkout import Candidate, choose_best, why_left_out
from ..codes import normalise_code
from ..models import CodeUse, IssuedReward, StackingPolicy, StoreCreditAccount, StoreCreditEntry
from .credit import credit_account_lock, credit_append
from .redemption import tier_allows

ZERO = Decimal("0.00")

REASON_MESSAGES = {
    "not_yours": gettext_lazy("This code is not valid for this member."),
    "used": gettext_lazy("This code has already been used."),
    "expired": gettext_lazy("This code has expired."),
    "revoked": gettext_lazy("This code was revoked."),
    "tier_required": gettext_lazy("This code needs a higher tier."),
    "minimum_spend": gettext_lazy("The purchase is below this code's minimum spend."),
    "product_not_in_basket": gettext_lazy("The free product is not in the basket."),
    "duplicate": gettext_lazy("This code was entered twice."),
    "not_combinable_with": gettext_lazy("This code cannot be combined with %(code)s."),
    "too_many_codes": gettext_lazy("No more codes can be used on this purchase."),
    "no_discount": gettext_lazy("There is nothing left for this code to discount."),
    "insufficient_store_credit": gettext_lazy("Not enough store credit."),
    "not_combinable_with_codes": gettext_lazy(
        "Store credit cannot be used together with a discount code."
    ),
}


@dataclass(frozen=True)
class CodeVerdict:
    code: str
    discount: Decimal = ZERO
    reason: str | None = None
    conflicts_with: str | None = None
    issued: IssuedReward | None = field(default=None, compare=False)

    @property
    def is_applied(self) -> bool:
        return self.reason is None

    def line(self) -> extensions.CodeVerdictLine:
        """The verdict as the answer states it."""
        return extensions.CodeVerdictLine(
            code=self.code,
            status="applied" if self.is_applied else "rejected",
            discount=self.discount,
            reason=self.reason,
            # Only a member's own codes are described; anything else stays anonymous.
            reward=(
                str(self.issued.reward)
                if self.issued is not None and self.reason != "not_yours"
                else None
            ),
            message=(
                str(REASON_MESSAGES[self.reason]) % {"code": self.conflicts_with}
                if self.reason
                else None
            ),
            conflicts_with=self.conflicts_with,
        )

    def as_dict(self) -> dict:
        """The verdict in an error answer (`codes_rejected`, `code_used`)."""
        body = {
            "code": self.code,
            "status": "applied" if self.is_applied else "rejected",
            "discount": money_str(self.discount),
            "reason": self.reason,
        }
        # Only a member's own codes are described; anything else stays anonymous.
        if self.issued is not None and self.reason != "not_yours":
            body["reward"] = str(self.issued.reward)
        if self.reason:
            body["message"] = str(REASON_MESSAGES[self.reason]) % {"code": self.conflicts_with}
        if self.conflicts_with:
            body["conflicts_with"] = self.conflicts_with
        return body


@dataclass(frozen=True)
class CheckoutResult:
    amount: Decimal
    verdicts: tuple[CodeVerdict, ...]
    discount_total: Decimal
    store_credit_requested: Decimal
    store_credit_available: Decimal
    store_credit_used: Decimal
    store_credit_reason: str | None
    credit_account: StoreCreditAccount | None = field(default=None, compare=False)
    store_credit_mode: str = extensions.STORE_CREDIT_EXACT

    @property
    def amount_payable(self) -> Decimal:
        return self.amount - self.discount_total - self.store_credit_used

    @property
    def applied(self) -> list[CodeVerdict]:
        return [verdict for verdict in self.verdicts if verdict.is_applied]

    @property
    def rejected(self) -> list[CodeVerdict]:
        return [verdict for verdict in self.verdicts if not verdict.is_applied]

    @property
    def codes(self) -> tuple[extensions.CodeVerdictLine, ...]:
        return tuple(verdict.line() for verdict in self.verdicts)

    @property
    def store_credit(self) -> extensions.StoreCreditLine:
        reason = self.store_credit_reason
        return extensions.StoreCreditLine(
            requested=self.store_credit_requested,
            available=self.store_credit_available,
            used=self.store_credit_used,
            reason=reason,
            message=str(REASON_MESSAGES[reason]) if reason else None,
            mode=self.store_credit_mode,
        )


def _individual_verdict(
    code: str,
    issued: IssuedReward | None,
    *,
    tier,
    amount: Decimal,
    skus: set[str],
    now: datetime.datetime,
) -> str | None:
    if issued is None:
        return "not_yours"
    status = issued.effective_status(now)
    if status != IssuedReward.Status.ISSUED:
        return {"used": "used", "expired": "expired", "revoked": "revoked"}[status]
    if not tier_allows(tier, issued.reward):
        return "tier_required"
    if amount < issued.minimum_spend:
        return "minimum_spend"
    if issued.reward.kind == "free_product" and issued.reward.sku.lower() not in skus:
        return "product_not_in_basket"
    return None


def _look_up(
    member: Member,
    wanted: list[str],
    *,
    account: PointAccount | None,
    amount: Decimal,
    lines: tuple[BasketLine, ...],
    now: datetime.datetime,
    for_update: bool,
) -> tuple[dict[str | None, IssuedReward], dict[int, CodeVerdict], list[tuple[int, Candidate]]]:
    """The member's codes among `wanted`, each one's own verdict, and those that may apply."""
    issued_rewards = IssuedReward.objects.filter(
        member=member, code__in=set(wanted)
    ).select_related("reward__minimum_tier")
    if for_update:
        issued_rewards = issued_rewards.order_by("pk").select_for_update(of=("self",))
    by_code = {issued.code: issued for issued in issued_rewards}

    tier = account.tier if account is not None and account.tier_id else None
    skus = {line.sku.lower() for line in lines if line.sku}
    verdicts: dict[int, CodeVerdict] = {}
    candidates: list[tuple[int, Candidate]] = []
    seen: set[str] = set()
    for index, code in enumerate(wanted):
        issued = by_code.get(code)
        if code in seen:
            verdicts[index] = CodeVerdict(code, reason="duplicate", issued=issued)
            continue
        seen.add(code)
        reason = _individual_verdict(code, issued, tier=tier, amount=amount, skus=skus, now=now)
        if reason:
            verdicts[index] = CodeVerdict(code, reason=reason, issued=issued)
            continue
        assert issued is not None  # an unknown code has a reason (not_yours)
        candidates.append(
            (
                index,
                Candidate(
                    code=code,
                    kind=issued.reward.kind,
                    value=issued.value,
                    sku=issued.reward.sku,
                    stacking=issued.reward.stacking,
                    group=issued.reward.stacking_group,
                    expires_at=issued.expires_at,
                ),
            )
        )
    return by_code, verdicts, candidates


def checkout_evaluate(
    *,
    member: Member,
    account: PointAccount | None,
    amount: Decimal,
    lines: tuple[BasketLine, ...] = (),
    codes: tuple[str, ...] = (),
    store_credit: Decimal | None = None,
    store_credit_mode: str = extensions.STORE_CREDIT_EXACT,
    for_update: bool = False,
    api_key_id: int | None = None,
    now: datetime.datetime | None = None,
) -> CheckoutResult:
    """Which codes apply, the discount of each, the store credit used and what is left to pay.

    Read-only unless `for_update`, which locks the member's codes and credit row (pk order;
    call with the point account already locked) and settles the euro budgets that paid for the
    chosen codes to their discounts (`rewards.budgets`), in the caller's transaction. Unknown
    codes and other members' codes get the same answer (`not_yours`) and count as failed
    checks; past the limit checks are refused.

    Store credit pays last, at most what is left after the codes. `store_credit_mode` says what
    happens when the member has less than that: `exact` uses none and gives the reason
    `insufficient_store_credit` (a purchase is then refused); `available` uses what there is
    (possibly nothing), without a reason.
    """
    if store_credit_mode not in extensions.STORE_CREDIT_MODES:
        raise InvalidInput(
            _("Choose how to use store credit: %(modes)s.")
            % {"modes": ", ".join(extensions.STORE_CREDIT_MODES)},
            code="invalid_choice",
            field="store_credit_mode",
        )
    if not member.is_active:
        # The same answer as the purchase would give: a blocked member's codes never apply.
        raise MemberBlocked(field="card_number")
    now = now or timezone.now()
    policy = StackingPolicy.current()
    wanted = [normalise_code(code) for code in codes]
    # Each distinct code costs one check, taken before any is looked up.
    reservation = guessing.reserve_checks(
        member_id=member.pk, api_key_id=api_key_id, count=len(set(wanted))
    )
    try:
        by_code, verdicts, candidates = _look_up(
            member,
            wanted,
            account=account,
            amount=amount,
            lines=lines,
            now=now,
            for_update=for_update,
        )
    except BaseException:
        reservation.cancel()
        raise
    reservation.keep_misses(
        sum(1 for verdict in verdicts.values() if verdict.reason == "not_yours")
    )

    chosen = choose_best(
        tuple(candidate for _i, candidate in candidates),
        amount,
        lines,
        policy.max_codes_per_purchase,
    )
    discount_of = dict(zip((code.code for code in chosen.codes), chosen.discounts, strict=True))
    for index, candidate in candidates:
        issued = by_code[candidate.code]
        if candidate.code in discount_of:
            verdicts[index] = CodeVerdict(
                candidate.code, discount=discount_of[candidate.code], issued=issued
            )
        else:
            reason, conflict = why_left_out(candidate, chosen, policy.max_codes_per_purchase)
            verdicts[index] = CodeVerdict(
                candidate.code, reason=reason, conflicts_with=conflict, issued=issued
            )
    discount_total = chosen.total
    if for_update:
        # The budgets that paid for the chosen codes, settled to the discounts they give: after
        # the codes, before the credit row (lock order, docs/architecture.md). Never a reason to
        # refuse a code: it was promised.
        codes_budget_settle((by_code[code].pk, discount) for code, discount in discount_of.items())

    requested = store_credit or ZERO
    credit_account = None
    if requested > 0 and for_update:
        credit_account = credit_account_lock(member.pk)
        available = credit_account.balance
    else:
        available = (
            StoreCreditAccount.objects.filter(member=member)
            .values_list("balance", flat=True)
            .first()
            or ZERO
        )
    used, credit_reason = ZERO, None
    if requested > 0:
        if chosen.codes and not policy.store_credit_with_codes:
            credit_reason = "not_combinable_with_codes"
        else:
            wanted_credit = min(requested, amount - discount_total)
            if wanted_credit <= available:
                used = wanted_credit
            elif store_credit_mode == extensions.STORE_CREDIT_AVAILABLE:
                used = available  # what there is; nothing when there is none
            else:
                credit_reason = "insufficient_store_credit"
    return CheckoutResult(
        amount=amount,
        verdicts=tuple(verdicts[index] for index in sorted(verdicts)),
        discount_total=discount_total,
        store_credit_requested=requested,
        store_credit_available=available,
        store_credit_used=used,
        store_credit_reason=credit_reason,
        credit_account=credit_account,
        store_credit_mode=store_credit_mode,
    )


class CodesRejected(ApplicationError):
    code = "codes_rejected"
    default_message = gettext_lazy("Some codes cannot be used on this purchase.")


class CodeAlreadyUsed(Conflict):
    code = "code_used"


class StoreCreditRefused(ApplicationError):
    code = "store_credit_refused"


class RewardsCheckoutHook:
    """Plugs codes and store credit into points' purchases and refunds."""

    def decide(self, *, request, account, for_update: bool) -> extensions.CheckoutDecision:
        result = checkout_evaluate(
            member=request.member,
            account=account,
            amount=request.amount,
            lines=request.lines,
            codes=request.codes,
            store_credit=request.store_credit,
            store_credit_mode=request.store_credit_mode,
            for_update=for_update,
            api_key_id=getattr(request, "api_key_id", None),
        )
        if for_update:
            self._refuse_rejections(result)
        return extensions.CheckoutDecision(
            discount_total=result.discount_total,
            store_credit_used=result.store_credit_used,
            codes=result.codes,
            store_credit=result.store_credit,
            state=result,
        )

    @staticmethod
    def _refuse_rejections(result: CheckoutResult) -> None:
        used = [verdict for verdict in result.rejected if verdict.reason == "used"]
        if used:
            raise CodeAlreadyUsed(
                _("Code %(code)s has already been used.") % {"code": used[0].code},
                field="codes",
                extra={"codes": [verdict.as_dict() for verdict in result.verdicts]},
            )
        if result.rejected:
            raise CodesRejected(
                field="codes", extra={"codes": [verdict.as_dict() for verdict in result.verdicts]}
            )
        if result.store_credit_reason:
            raise StoreCreditRefused(
                REASON_MESSAGES[result.store_credit_reason],
                code=result.store_credit_reason,
                field="store_credit",
                extra={"store_credit_available": money_str(result.store_credit_available)},
            )

    def apply(self, *, purchase: Purchase, decision: extensions.CheckoutDecision) -> None:
        result: CheckoutResult = decision.state
        now = purchase.created_at
        # A code an automation issued is honoured whatever its euro budget says now: the
        # budget reserved its cost when it was issued and was settled to its discount in
        # `checkout_evaluate` (campaigns.services.budgets); nothing here checks it.
        for verdict in result.applied:
            assert verdict.issued is not None  # an applied code is an issued reward
            consumed = IssuedReward.objects.filter(
                pk=verdict.issued.pk, status=IssuedReward.Status.ISSUED
            ).update(status=IssuedReward.Status.USED, used_at=now, used_in_purchase=purchase)
            try:
                with transaction.atomic(savepoint=True):
                    if not consumed:
                        raise IntegrityError("code no longer unused")
                    CodeUse.objects.create(
                        issued_reward=verdict.issued, purchase=purchase, discount=verdict.discount
                    )
                    webhooks.emit(
                        "code.used",
                        {
                            "code": verdict.code,
                            "discount": str(verdict.discount),
                            "transaction_id": purchase.transaction_id,
                        },
                        member_id=purchase.member_id,
                    )
            except IntegrityError as error:
                raise CodeAlreadyUsed(
                    _("Code %(code)s has already been used.") % {"code": verdict.code},
                    field="codes",
                    extra={"used_code": verdict.code},
                ) from error
        if result.store_credit_used > 0:
            assert result.credit_account is not None  # credit was used from it
            credit_append(
                result.credit_account,
                kind=StoreCreditEntry.Kind.SPEND,
                amount=-result.store_credit_used,
                purchase=purchase,
            )

    def on_refund(
        self, *, purchase: Purchase, refund: Refund, cumulative_amount: Decimal
    ) -> extensions.RefundReturns:
        """A full refund restores unexpired codes; store credit comes back in proportion.

        Codes first, then the credit row: the global lock order (docs/architecture.md).
        """
        codes_restored = credit_returned = None
        if cumulative_amount >= purchase.net_amount:
            codes_restored = tuple(self._restore_codes(purchase))
        if purchase.store_credit_used > 0 and purchase.net_amount > 0:
            returned_before = sum(
                (r.store_credit_returned for r in purchase.refunds.exclude(pk=refund.pk)), ZERO
            )
            if cumulative_amount >= purchase.net_amount:
                target = purchase.store_credit_used
            else:
                cents = int(purchase.store_credit_used * 100) * int(cumulative_amount * 100)
                target = Decimal(cents // int(purchase.net_amount * 100)) / 100
            give_back = target - returned_before
            if give_back > 0:
                credit_append(
                    credit_account_lock(purchase.member_id),
                    kind=StoreCreditEntry.Kind.REFUND,
                    amount=give_back,
                    purchase=purchase,
                    refund=refund,
                )
                refund.store_credit_returned = give_back
                refund.save(update_fields=["store_credit_returned"])
            credit_returned = max(give_back, ZERO)
        return extensions.RefundReturns(
            codes_restored=codes_restored, store_credit_returned=credit_returned
        )

    @staticmethod
    def _restore_codes(purchase: Purchase) -> list[str]:
        now = timezone.now()
        restored: list[str] = []
        uses = (
            CodeUse.objects.filter(purchase=purchase, restored_at__isnull=True)
            .select_related("issued_reward")
            .order_by("issued_reward_id")
        )
        for use in uses:
            # No row lock: a used code changes only here (checkout, revoking and expiring take
            # unused codes only), and this runs only in a refund of the purchase that used it,
            # which holds that purchase's row lock (and the member's point account lock).
            issued = IssuedReward.objects.get(pk=use.issued_reward_id)
            if issued.status != IssuedReward.Status.USED or issued.expires_at <= now:
                continue  # an expired code stays used: it could not be used again anyway
            use.restored_at = now
            use.save(update_fields=["restored_at"])
            issued.status, issued.used_at, issued.used_in_purchase = (
                IssuedReward.Status.ISSUED,
                None,
                None,
            )
            issued.save(update_fields=["status", "used_at", "used_in_purchase"])
            if issued.code:  # store credit has no code; a used code always has one
                restored.append(issued.code)
        return restored
