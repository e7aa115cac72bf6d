"""What campaigns do when something happens in a lower app (enrolment, purchase, refund, tier
change). The receivers call one function each; all of it runs in the sender's transaction and
only creates pending deliveries (fulfilled and sent after commit)."""

from django.utils import timezone

from accounts.models import Member
from core import outbox
from points.models import PointAccount, Purchase, Refund, Tier, TierChange
from points.selectors import refund_completes_purchase

from ..models import Delivery, Trigger
from ..selectors import stamp_purchases
from .automations import delivery_create_for_event, live_event_automations
from .conversions import (
    WindowDelivery,
    conversions_record,
    conversions_record_refund,
    window_revenue_refresh,
)
from .stats import FIRST_AGAIN, member_stats_record_purchase, member_stats_record_refund
from .unwinding import JOB_UNWIND


def on_member_enrolled(member: Member) -> None:
    """Welcome automations: one delivery per live automation."""
    for automation in live_event_automations(Trigger.WELCOME):
        delivery_create_for_event(automation, member=member, key="welcome")


def on_purchase_recorded(purchase: Purchase, locked: list[WindowDelivery] | None = None) -> None:
    """Member statistics and conversions; on a first purchase the first-purchase and referral
    automations; the stamp-card (nth purchase, optionally of a category) automations. Each
    delivery remembers the purchase that earned it, so a full refund can unwind it.

    A purchase after the member's earlier ones were all refunded in full is their first again:
    its deliveries get keys of their own (the unwound ones keep theirs).

    `locked`: the deliveries the purchase locked before its point account (`LOCK_PRELUDE`)."""
    first = member_stats_record_purchase(purchase)
    conversions_record(purchase, locked)
    member = purchase.member
    if first:
        again = f":{purchase.pk}" if first == FIRST_AGAIN else ""
        for automation in live_event_automations(Trigger.FIRST_PURCHASE):
            delivery_create_for_event(
                automation, member=member, key=f"first{again}", trigger_purchase=purchase
            )
        if member.referred_by_id:
            _reward_referral(member, purchase, again)
    _stamp_cards(purchase)


def _stamp_cards(purchase: Purchase) -> None:
    """Every nth purchase (of a category, if the automation names one: counted only when this
    purchase has a line of it) earns a delivery, keyed by the count so it is given once.
    Purchases refunded in full are not counted; when the nth stamp's delivery was unwound by
    such a refund, the purchase that reaches n again earns it under a key of its own."""
    member = purchase.member
    for automation in live_event_automations(Trigger.NTH_PURCHASE):
        if automation.category:
            if not purchase.lines.filter(category__iexact=automation.category).exists():
                continue
        count = stamp_purchases(automation, member_id=member.pk).count()
        if automation.every_n and count % automation.every_n == 0:
            key = f"nth:{count}"
            if Delivery.objects.filter(
                automation=automation, member=member, period_key=key, unwound_at__isnull=False
            ).exists():
                key = f"{key}:{purchase.pk}"
            delivery_create_for_event(automation, member=member, key=key, trigger_purchase=purchase)


def _reward_referral(newcomer: Member, purchase: Purchase, again: str) -> None:
    referrer = newcomer.referred_by
    if referrer is None:
        return
    for automation in live_event_automations(Trigger.REFERRAL):
        delivery_create_for_event(
            automation,
            member=referrer,
            key=f"referral:{newcomer.pk}{again}",
            trigger_purchase=purchase,
        )
        if automation.reward_newcomer:
            delivery_create_for_event(
                automation,
                member=newcomer,
                key=f"referred:{newcomer.pk}{again}",
                trigger_purchase=purchase,
            )


def on_refund_recorded(refund: Refund, locked: list[WindowDelivery] | None = None) -> None:
    """Less spend, also in the offer windows it falls in; when the refund completes the
    purchase, what the purchase earned through automations is unwound after commit (an outbox
    job: it locks the deliveries before the point accounts, as the lock order wants, which the
    refund's transaction cannot)."""
    purchase = refund.purchase
    conversions_record_refund(refund, locked)
    completes = refund_completes_purchase(purchase=purchase, refund_amount=refund.amount)
    member_stats_record_refund(refund, completes_purchase=completes)
    if completes:
        outbox.enqueue(JOB_UNWIND, {"purchase": purchase.pk}, key=f"unwind:{purchase.pk}")


def on_purchases_imported(member_ids: set[int]) -> None:
    """Historic purchases convert nothing, but may fall in the window of an offer that converted:
    the window revenue of those members' deliveries is counted again from their purchases."""
    window_revenue_refresh(Delivery.objects.filter(member_id__in=member_ids))


def on_tier_changed(*, account: PointAccount, to_tier: Tier | None, reason: str) -> None:
    """Tier-reached automations, on upgrades only; once per tier and day."""
    if reason != TierChange.Reason.UPGRADE or to_tier is None:
        return
    for automation in live_event_automations(Trigger.TIER_REACHED):
        if automation.tier_id in (None, to_tier.pk):
            key = f"tier:{to_tier.pk}:{timezone.localdate().isoformat()}"
            delivery_create_for_event(automation, member=account.member, key=key)
