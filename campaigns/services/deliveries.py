"""Deliveries: giving members what an automation promises, then telling them, once."""

import datetime
import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Member
from points.models import EntryKind
from points.services import account_lock, ledger_append
from rewards.codes import generate_code
from rewards.models import IssuedReward, Reward
from rewards.services import OutOfStock, reward_issue

from .. import messaging
from ..models import Automation, Delivery, OutboundMessage

logger = logging.getLogger(__name__)

# A send claimed longer ago than this is presumed dead (worker killed) and may be retried.
CLAIM_TIMEOUT = datetime.timedelta(minutes=10)
MAX_SEND_ATTEMPTS = 5


def _take_stock(reward: Reward, wanted: int) -> int:
    """Takes up to `wanted` from a limited stock; returns how many it got."""
    if reward.stock is None:
        return wanted
    locked = Reward.objects.select_for_update().get(pk=reward.pk)
    taken = min(wanted, locked.stock or 0)
    if taken:
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - taken)
    return taken


def _issue_codes(automation: Automation, deliveries: list[Delivery], now) -> list[Delivery]:
    """Bulk-issues the automation's code reward to these deliveries; returns those left out
    for lack of stock."""
    reward = automation.reward
    taken = _take_stock(reward, len(deliveries))
    served, left_out = deliveries[:taken], deliveries[taken:]
    expires_at = now + datetime.timedelta(
        days=automation.reward_validity_days or reward.validity_days
    )
    for _attempt in range(3):
        issued = [
            IssuedReward(
                reward=reward,
                member_id=delivery.member_id,
                code=generate_code(),
                source=IssuedReward.Source.CAMPAIGN,
                source_reference=f"automation:{automation.pk}",
                value=reward.value,
                minimum_spend=reward.minimum_spend,
                issued_at=now,
                expires_at=expires_at,
            )
            for delivery in served
        ]
        try:
            with transaction.atomic():
                IssuedReward.objects.bulk_create(issued)
            break
        except IntegrityError:  # a code collision in 2**60: draw the batch again
            continue
    else:
        raise RuntimeError("could not draw unique codes")
    # bulk_create sets pks on PostgreSQL and SQLite 3.35+; fall back to a lookup otherwise.
    if issued and issued[0].pk is None:
        by_code = dict(
            IssuedReward.objects.filter(code__in=[i.code for i in issued]).values_list("code", "pk")
        )
        for item in issued:
            item.pk = by_code[item.code]
    for delivery, item in zip(served, issued, strict=True):
        delivery.issued_reward = item
        delivery.offer_expires_at = expires_at
    return left_out


def deliveries_fulfil(delivery_ids: Iterable[int]) -> list[int]:
    """Gives the reward and bonus points of each unfulfilled delivery, in one transaction.

    Codes are issued in bulk; store credit and bonus points go through their ledgers (locks in
    member order). Returns the deliveries that now wait for a message; the send tasks are
    enqueued when the transaction commits.
    """
    now = timezone.now()
    to_send: list[int] = []
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.filter(pk__in=list(delivery_ids), fulfilled_at__isnull=True)
            .select_related("automation__reward", "member")
            .order_by("member_id", "pk")
            .select_for_update(of=("self",))
        )
        by_automation: dict[int, list[Delivery]] = {}
        for delivery in deliveries:
            by_automation.setdefault(delivery.automation_id, []).append(delivery)
        for group in by_automation.values():
            to_send.extend(_fulfil_group(group[0].automation, group, now))
        Delivery.objects.bulk_update(
            deliveries,
            [
                "issued_reward",
                "bonus_entry",
                "offer_expires_at",
                "fulfilled_at",
                "status",
                "skip_reason",
            ],
            batch_size=500,
        )
        if to_send:
            ids = list(to_send)
            transaction.on_commit(lambda: _enqueue_sends(ids))
    return to_send


def _fulfil_group(automation: Automation, deliveries: list[Delivery], now) -> list[int]:
    active = []
    for delivery in deliveries:
        delivery.fulfilled_at = now
        if delivery.member.status != Member.Status.ACTIVE:
            delivery.status, delivery.skip_reason = (
                Delivery.Status.SKIPPED,
                Delivery.SkipReason.BLOCKED,
            )
        else:
            active.append(delivery)
            delivery.offer_expires_at = now + datetime.timedelta(days=automation.conversion_days)
    reward = automation.reward
    if reward is not None and reward.gives_code and active:
        for delivery in _issue_codes(automation, active, now):
            delivery.status, delivery.skip_reason = (
                Delivery.Status.SKIPPED,
                Delivery.SkipReason.OUT_OF_STOCK,
            )
            active.remove(delivery)
    for delivery in active:
        if reward is not None and not reward.gives_code:
            try:
                delivery.issued_reward = reward_issue(
                    member=delivery.member,
                    reward=reward,
                    source=IssuedReward.Source.CAMPAIGN,
                    source_reference=f"automation:{automation.pk}",
                    now=now,
                )
            except OutOfStock:
                delivery.status, delivery.skip_reason = (
                    Delivery.Status.SKIPPED,
                    Delivery.SkipReason.OUT_OF_STOCK,
                )
                continue
        if automation.bonus_points:
            delivery.bonus_entry = ledger_append(
                account_lock(delivery.member_id),
                kind=EntryKind.BONUS,
                points=automation.bonus_points,
                note=automation.name,
            )
    waiting = []
    for delivery in active:
        if delivery.status != Delivery.Status.PENDING:
            continue
        if automation.channel == "none":
            delivery.status, delivery.skip_reason = (
                Delivery.Status.SKIPPED,
                Delivery.SkipReason.NO_MESSAGE,
            )
        else:
            waiting.append(delivery.pk)
    return waiting


def _enqueue_sends(delivery_ids: list[int]) -> None:
    from ..tasks import delivery_send_task

    for delivery_id in delivery_ids:
        delivery_send_task.delay(delivery_id)


def delivery_send(delivery_id: int) -> str:
    """Sends the message of one delivery, at most once.

    Claims the delivery in a short transaction (status `sending`), sends outside any lock with
    the delivery's key, then records the message (unique per delivery) and marks it sent. A
    retry of a sent delivery does nothing; a claim by a worker that died is taken over after
    CLAIM_TIMEOUT and re-sent with the same key. Raises `messaging.SendError` to be retried.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("member", "automation", "issued_reward__reward", "bonus_entry")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (Delivery.Status.SENT, Delivery.Status.SKIPPED):
            return "done"
        if delivery.status == Delivery.Status.SENDING and delivery.claimed_at > now - CLAIM_TIMEOUT:
            return "in_progress"
        channel, skip_reason = messaging.channel_for(delivery.member, delivery.automation.channel)
        if skip_reason:
            delivery.status, delivery.skip_reason = Delivery.Status.SKIPPED, skip_reason
            delivery.save(update_fields=["status", "skip_reason"])
            return "skipped"
        delivery.status, delivery.channel, delivery.claimed_at = (
            Delivery.Status.SENDING,
            channel,
            now,
        )
        delivery.attempts += 1
        delivery.save(update_fields=["status", "channel", "claimed_at", "attempts"])
    message = messaging.render(delivery=delivery, channel=channel)
    try:
        reference = messaging.backend_for(channel).send(message)
    except messaging.SendError as error:
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.FAILED, last_error=str(error)[:2000]
        )
        raise
    with transaction.atomic():
        OutboundMessage.objects.get_or_create(
            delivery=delivery,
            defaults={
                "channel": channel,
                "to": message.to,
                "subject": message.subject[:200],
                "body": message.body,
                "provider_reference": reference[:200],
            },
        )
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
        )
    return "sent"


def delivery_give_up(delivery_id: int, error: str) -> None:
    """After the last attempt: failed for good, visible to staff (Deliveries, status failed)."""
    Delivery.objects.filter(pk=delivery_id).update(
        status=Delivery.Status.FAILED, last_error=f"gave up: {error}"[:2000]
    )


def delivery_resend(*, delivery: Delivery) -> Delivery:
    """Staff ask for a failed or skipped message to be tried again."""
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).exclude(status=Delivery.Status.SENT).update(
            status=Delivery.Status.PENDING, skip_reason="", claimed_at=None
        )
        transaction.on_commit(lambda: _enqueue_sends([delivery.pk]))
    delivery.refresh_from_db()
    return delivery
