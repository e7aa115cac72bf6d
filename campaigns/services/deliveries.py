"""Deliveries: giving members what an automation promises, then telling them, once."""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Member
from core import outbox, webhooks
from core.bulk import update_from_values
from points.models import EntryKind
from points.services import account_lock, ledger_append
from rewards.models import IssuedReward, Reward
from rewards.services import OutOfStock, codes_issue_bulk, reward_issue

from .. import messaging
from ..assignment import assignment_for
from ..models import Automation, Delivery, OutboundMessage
from ..models.budgets import Budget
from ..selectors import local_today
from .budgets import budget_give_back, budget_take, offer_cost, reward_reservation

logger = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 5
# The outbox jobs that carry deliveries (handlers in campaigns/jobs.py).
JOB_DELIVERY = "campaigns.delivery"  # one delivery: fulfil if not done, then send
JOB_SEND_CHUNK = "campaigns.deliveries_send"  # up to SEND_CHUNK fulfilled deliveries of a run


def send_lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.LOYALTY_SEND_LEASE_SECONDS)


def send_leased(lease_until: datetime.datetime | None, now: datetime.datetime) -> bool:
    """Whether another worker holds the sending lease of a message (it has not run out). The one
    definition for every kind of message: deliveries, escalation steps, satisfaction questions."""
    return lease_until is not None and lease_until > now


class DeliveryBusy(outbox.RetryLater):
    """Another worker is sending this delivery right now (its lease has not run out)."""


class SendsBusy(outbox.RetryLater):
    """Some messages of a job are being sent by another worker; the job tries again later (and
    finds them sent, or, if that worker died, sends them once their lease has run out)."""


def pending_send(row, now: datetime.datetime) -> bool:
    """Step 1 for a pending escalation step or satisfaction question, inside the transaction
    that locked its row (`select_for_update`): lease it and return True, or return False when
    another worker's lease still runs. Deliveries do the same in `delivery_send`."""
    if send_leased(row.lease_until, now):
        return False
    row.lease_until = now + send_lease()
    row.save(update_fields=["lease_until"])
    return True


def pending_send_finish(model, pk: int, message: messaging.Message) -> int:
    """Steps 2 and 3 for a row leased by `pending_send`, outside any lock: hand the message to
    the provider (under its stable key), then mark the row sent. A provider error gives the
    lease back, so the job's retry sends at once; a worker that dies in between leaves the lease
    to run out, after which a retry sends the same message under the same key. Returns 1 when
    this worker marked it sent."""
    try:
        messaging.backend_for(message.channel).send(message)
    except messaging.SendError:
        model.objects.filter(pk=pk, status=model.Status.PENDING).update(lease_until=None)
        raise
    return model.objects.filter(pk=pk, status=model.Status.PENDING).update(
        status=model.Status.SENT, sent_at=timezone.now(), lease_until=None
    )


def _take_stock(reward: Reward, wanted: int) -> int:
    """Takes up to `wanted` from a limited stock; returns how many it got."""
    if reward.stock is None:
        return wanted
    locked = Reward.objects.select_for_update().get(pk=reward.pk)
    taken = min(wanted, locked.stock or 0)
    if taken:
        Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - taken)
    return taken


def _lock_point_accounts(member_ids: list[int]) -> None:
    """Locks the point accounts of these members in pk order with one statement (a batch may
    hold 20,000 members). SQLite serialises writers: nothing to lock there."""
    from points.models import PointAccount

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {PointAccount._meta.db_table} WHERE member_id = ANY(%s) "
            "ORDER BY id FOR NO KEY UPDATE",
            [sorted(set(member_ids))],
        )
        cursor.fetchall()


@dataclass
class _Row:
    """What fulfilment needs of one delivery (no model instances: a run may hold 100,000s)."""

    pk: int
    member_id: int
    is_active: bool
    status: str = Delivery.Status.PENDING
    skip_reason: str = ""
    offer_expires_at: datetime.datetime | None = None
    issued_reward_id: int | None = None
    bonus_entry_id: int | None = None
    arm_id: int | None = None
    is_saved: bool = False  # written together with its code already

    def skip(self, reason: str) -> None:
        self.status, self.skip_reason = Delivery.Status.SKIPPED, reason


def deliveries_fulfil(delivery_ids: Iterable[int], *, queue_sends: bool = True) -> list[int]:
    """Gives the reward and bonus points of each unfulfilled delivery, in one transaction.

    Codes are issued in bulk and linked with one UPDATE … FROM; store credit and bonus points go
    through their ledgers one member at a time (locks in member order). Returns the deliveries
    that now wait for a message; unless `queue_sends` is off, their sends are queued in the
    outbox in the same transaction.
    """
    return deliveries_fulfil_matching(
        Delivery.objects.filter(pk__in=list(delivery_ids)), queue_sends=queue_sends
    )


def deliveries_fulfil_matching(
    deliveries: QuerySet[Delivery], *, queue_sends: bool = True
) -> list[int]:
    """deliveries_fulfil for the unfulfilled deliveries of a queryset: a run passes an id range
    rather than 20,000 ids, which psycopg would splice into the query one by one."""
    now = timezone.now()
    to_send: list[int] = []
    with transaction.atomic(savepoint=False):
        rows = (
            deliveries.filter(fulfilled_at__isnull=True)
            .order_by("member_id", "pk")
            .select_for_update(of=("self",))
            .values_list("pk", "automation_id", "member_id", "member__status")
        )
        groups: dict[int, list[_Row]] = defaultdict(list)
        for pk, automation_id, member_id, member_status in rows:
            groups[automation_id].append(_Row(pk, member_id, member_status == Member.Status.ACTIVE))
        automations = Automation.objects.select_related("reward").in_bulk(list(groups))
        for automation_id, group in groups.items():
            automation = automations[automation_id]
            for offer, offer_rows in _split_by_offer(automation, group, now).items():
                to_send.extend(_fulfil_group(automation, offer, offer_rows, now))
            _save_fulfilment(group, now)
        if queue_sends:
            _queue_sends(to_send)
    return to_send


@dataclass(frozen=True)
class _Offer:
    """What a treated member gets: the automation's own reward and bonus, or an arm's."""

    arm_id: int | None
    reward: Reward | None
    bonus_points: int


def _offer_window(automation: Automation, reward: Reward | None, now) -> datetime.datetime:
    """Until when a purchase converts: the code's validity for a code, else the conversion
    window. The holdout gets the automation's own window, so both groups are measured alike."""
    if reward is not None and reward.gives_code:
        return now + datetime.timedelta(
            days=automation.reward_validity_days or reward.validity_days
        )
    return now + datetime.timedelta(days=automation.conversion_days)


def _split_by_offer(automation: Automation, rows: list[_Row], now) -> dict[_Offer, list[_Row]]:
    """Holds out the members the assignment holds out (no reward, no message; their rows are
    final here) and groups the others by the offer they get."""
    arms = list(automation.arms.select_related("reward").order_by("pk"))
    by_id = {arm.pk: arm for arm in arms}
    splits = [(arm.pk, arm.split_percent) for arm in arms]
    own = _Offer(None, automation.reward, automation.bonus_points)
    offers: dict[_Offer, list[_Row]] = defaultdict(list)
    for row in rows:
        if not row.is_active:
            offers[own].append(row)  # blocked: skipped below, in neither group
            continue
        placed = assignment_for(
            automation_id=automation.pk,
            member_id=row.member_id,
            holdout_percent=automation.holdout_percent,
            arms=splits,
        )
        if placed.held_out:
            row.status = Delivery.Status.HELD_OUT
            row.offer_expires_at = _offer_window(automation, automation.reward, now)
            continue
        if placed.arm_id is None:
            offers[own].append(row)
        else:
            arm = by_id[placed.arm_id]
            row.arm_id = arm.pk
            offers[_Offer(arm.pk, arm.reward, arm.bonus_points)].append(row)
    return offers


def _fulfil_group(automation: Automation, offer: _Offer, rows: list[_Row], now) -> list[int]:
    active = []
    for row in rows:
        if row.is_active:
            row.offer_expires_at = now + datetime.timedelta(days=automation.conversion_days)
            active.append(row)
        else:
            row.skip(Delivery.SkipReason.BLOCKED)
    reward = offer.reward
    if offer.bonus_points and active:
        # Lock order (docs/architecture.md): point accounts before the reward's stock row, as
        # redemption takes them; locking them per member after the stock could deadlock.
        _lock_point_accounts([row.member_id for row in active])
    unit_cost = Decimal("0")
    reserved: CodeReservation | None = None
    budget = Budget.of(automation)
    if active and budget.is_set:
        # The euro budget after the point accounts and before the stock (docs/architecture.md
        # "Lock order"); what the stock then refuses is given back.
        unit_cost = offer_cost(reward, offer.bonus_points, now=now)
        if reward is not None and reward.gives_code:
            # Each code records its share, settled to its real discount when used (#19).
            reserved = CodeReservation(
                owner=budget.owner,
                periods=budget.periods(local_today(now).isoformat()),
                cost=reward_reservation(reward, now=now),
            )
        fits = budget_take(budget, unit_cost=unit_cost, wanted=len(active), now=now)
        for row in active[fits:]:
            row.skip(Delivery.SkipReason.BUDGET_SPENT)
        active = active[:fits]
    if reward is not None and reward.gives_code and active:
        taken = _take_stock(reward, len(active))
        for row in active[taken:]:
            row.skip(Delivery.SkipReason.OUT_OF_STOCK)
        budget_give_back(budget, unit_cost=unit_cost, count=len(active) - taken, now=now)
        active = active[:taken]
        if active:
            _issue_codes(automation, reward, active, now, reserved)
    for row in active:
        if reward is not None and not reward.gives_code:
            try:
                issued = reward_issue(
                    member=Member.objects.get(pk=row.member_id),
                    reward=reward,
                    source=IssuedReward.Source.CAMPAIGN,
                    source_reference=f"automation:{automation.pk}",
                    now=now,
                )
            except OutOfStock:
                row.skip(Delivery.SkipReason.OUT_OF_STOCK)
                budget_give_back(budget, unit_cost=unit_cost, count=1, now=now)
                continue
            row.issued_reward_id = issued.pk
        if offer.bonus_points:
            row.bonus_entry_id = ledger_append(
                account_lock(row.member_id),
                kind=EntryKind.BONUS,
                points=offer.bonus_points,
                note=automation.name,
            ).pk
    waiting = []
    for row in active:
        if row.status != Delivery.Status.PENDING:
            continue
        if automation.channel == "none":
            row.skip(Delivery.SkipReason.NO_MESSAGE)
        else:
            waiting.append(row.pk)
    return waiting


@dataclass(frozen=True)
class CodeReservation:
    """What the automation's budget reserved for each code: recorded on the codes."""

    owner: str
    periods: tuple[str, ...]
    cost: Decimal


def _issue_codes(
    automation: Automation,
    reward: Reward,
    rows: list[_Row],
    now,
    reserved: CodeReservation | None = None,
) -> None:
    """One code per delivery, inserted in bulk and linked by one UPDATE … FROM per batch."""
    expires_at = now + datetime.timedelta(
        days=automation.reward_validity_days or reward.validity_days
    )
    # Codes come back as (member, code id) pairs; one code per member per round (more than one
    # round only if a member appears twice).
    by_member: dict[int, list[_Row]] = defaultdict(list)
    for row in rows:
        by_member[row.member_id].append(row)
    rounds = max(len(group) for group in by_member.values())
    expires, stamp = (
        connection.ops.adapt_datetimefield_value(value) for value in (expires_at, now)
    )
    for round_index in range(rounds):
        chosen = {
            group[round_index].member_id: group[round_index]
            for group in by_member.values()
            if len(group) > round_index
        }
        issued = codes_issue_bulk(
            reward=reward,
            member_ids=list(chosen),
            source=IssuedReward.Source.CAMPAIGN,
            source_reference=f"automation:{automation.pk}",
            issued_at=now,
            expires_at=expires_at,
            budget_owner=reserved.owner if reserved else "",
            budget_periods=reserved.periods if reserved else (),
            budget_cost=reserved.cost if reserved else Decimal("0.00"),
        )
        # The outcome goes with the link: one pass over the deliveries.
        update_from_values(
            Delivery._meta.db_table,
            key="id",
            assignments=(
                "issued_reward_id = batch.code, offer_expires_at = batch.expires, "
                "fulfilled_at = batch.stamp"
            ),
            columns=("code", "expires", "stamp"),
            rows=[(chosen[member_id].pk, code_id, expires, stamp) for member_id, code_id in issued],
        )
        for row in chosen.values():
            row.offer_expires_at = expires_at
            row.is_saved = True


def _save_fulfilment(rows: list[_Row], now) -> None:
    """Writes the outcome with a few set-based UPDATEs: one per distinct outcome, plus the
    per-row links of store credit rewards and bonus points."""
    outcomes: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        if row.is_saved and row.status == Delivery.Status.PENDING:
            continue
        outcomes[(row.status, row.skip_reason, row.offer_expires_at)].append(row.pk)
    for (status, skip_reason, offer_expires_at), ids in outcomes.items():
        for start in range(0, len(ids), 5000):
            Delivery.objects.filter(pk__in=ids[start : start + 5000]).update(
                fulfilled_at=now,
                status=status,
                skip_reason=skip_reason,
                offer_expires_at=offer_expires_at,
            )
    for column in ("issued_reward_id", "bonus_entry_id", "arm_id"):
        pairs = [(row.pk, getattr(row, column)) for row in rows if getattr(row, column)]
        for start in range(0, len(pairs), 2000):
            _set_column(column, pairs[start : start + 2000])


def _set_column(column: str, pairs: list[tuple[int, int]]) -> None:
    update_from_values(
        Delivery._meta.db_table,
        key="id",
        assignments=f"{column} = batch.linked",
        columns=("linked",),
        rows=pairs,
    )


SEND_CHUNK = 100


def _queue_sends(delivery_ids: list[int]) -> None:
    """One outbox job per hundred messages, in the caller's transaction: a large run does not
    flood the broker with tiny tasks, and no message is lost if the broker is down."""
    outbox.enqueue_many(
        JOB_SEND_CHUNK,
        (
            (f"send:{chunk[0]}-{chunk[-1]}:{len(chunk)}", {"deliveries": chunk})
            for chunk in (
                delivery_ids[start : start + SEND_CHUNK]
                for start in range(0, len(delivery_ids), SEND_CHUNK)
            )
        ),
    )


def delivery_queue(delivery: Delivery, *, cause: str = "") -> None:
    """Queues one delivery for fulfilment and its message, in the caller's transaction.

    `cause` tells apart repeated requests for the same delivery (a staff resend is a new job;
    the event that created it is another).
    """
    key = f"delivery:{delivery.pk}" + (f":{cause}" if cause else "")
    outbox.enqueue(JOB_DELIVERY, {"delivery": delivery.pk}, key=key)


def delivery_process(delivery_id: int) -> str:
    """What a delivery job does, wherever it came from (an event, a retry, staff "send again"):
    give the reward and bonus if that has not happened yet, then send the message if it has not
    been sent. Safe to repeat."""
    deliveries_fulfil([delivery_id], queue_sends=False)
    return delivery_send(delivery_id)


def deliveries_send_chunk(delivery_ids: list[int]) -> int:
    """Sends a chunk of messages; one that fails or is busy goes on alone, with its own job and
    retries, so one bad address (or one message that cannot be rendered) does not hold up the
    other 99."""
    sent = 0
    for delivery_id in delivery_ids:
        try:
            sent += delivery_send(delivery_id) == "sent"
        except Exception as error:  # noqa: BLE001 - whatever it was, that delivery's own job retries
            if not isinstance(error, messaging.SendError | outbox.RetryLater):
                logger.exception("Delivery %s could not be sent; it is retried alone", delivery_id)
            with transaction.atomic(durable=True):
                outbox.enqueue(
                    JOB_DELIVERY, {"delivery": delivery_id}, key=f"delivery:{delivery_id}:retry"
                )
    return sent


def delivery_send(delivery_id: int) -> str:
    """Sends the message of one delivery, at most once as far as the provider can tell.

    Step 1, a short transaction: lock the delivery; a sent or skipped one is done. Record the
    message (one per delivery) if this is the first try, and lease the delivery (`sending`).
    Step 2, outside any lock: hand the recorded message to the provider under the delivery's key.
    Step 3: mark it sent with the provider's reference.

    A worker killed in step 2 leaves `sending` with a lease; once the lease has run out a retry
    sends the *same recorded message* under the *same key*, which providers with idempotency keys
    drop and e-mail clients thread as one (the Message-ID is the same). While the lease runs,
    a retry raises `DeliveryBusy` and is tried later. Raises `messaging.SendError` to be retried.
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related(
                "member__point_account__tier",
                "automation__reward",
                "issued_reward__reward",
                "bonus_entry",
            )
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (
            Delivery.Status.SENT,
            Delivery.Status.SKIPPED,
            Delivery.Status.HELD_OUT,
        ):
            return "done"
        if delivery.fulfilled_at is None:
            raise outbox.RetryLater(f"delivery {delivery_id} is not fulfilled yet")
        if delivery.status == Delivery.Status.SENDING and send_leased(delivery.lease_until, now):
            raise DeliveryBusy(f"delivery {delivery_id} is being sent until {delivery.lease_until}")
        recorded = OutboundMessage.objects.filter(delivery=delivery).first()
        # Consent is checked on every try: a member who withdrew it (or whose account was
        # closed) after the message was recorded gets no retry of it either.
        channel, skip_reason = messaging.channel_for(delivery.member, delivery.automation.channel)
        if recorded is not None and not getattr(delivery.member, f"{recorded.channel}_consent_at"):
            skip_reason = skip_reason or Delivery.SkipReason.NO_CONSENT
        if skip_reason or channel is None:
            delivery.status = Delivery.Status.SKIPPED
            delivery.skip_reason = skip_reason or Delivery.SkipReason.NO_CONSENT
            delivery.save(update_fields=["status", "skip_reason"])
            return "skipped"
        if recorded is None:
            message = messaging.render(delivery=delivery, channel=channel)
            OutboundMessage.objects.create(
                delivery=delivery,
                channel=channel,
                to=message.to,
                subject=message.subject[:200],
                body=message.body,
            )
        else:
            # Tried before (the provider failed, or a worker died mid-send): the same message.
            channel = recorded.channel
            rendered = messaging.render(delivery=delivery, channel=channel)
            message = messaging.Message(
                channel=channel,
                to=recorded.to,
                subject=recorded.subject,
                body=recorded.body,
                html=rendered.html,
                key=messaging.delivery_key(delivery.pk),
                sender=rendered.sender,
                unsubscribe_url=rendered.unsubscribe_url,
            )
        delivery.status, delivery.channel, delivery.lease_until = (
            Delivery.Status.SENDING,
            channel,
            now + send_lease(),
        )
        delivery.attempts += 1
        delivery.save(update_fields=["status", "channel", "lease_until", "attempts"])
    try:
        reference = messaging.backend_for(channel).send(message)
    except messaging.SendError as error:
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.FAILED, last_error=str(error)[:2000], lease_until=None
        )
        raise
    with transaction.atomic(savepoint=False):
        Delivery.objects.filter(pk=delivery_id).update(
            status=Delivery.Status.SENT,
            sent_at=timezone.now(),
            provider_reference=reference[:200],
            lease_until=None,
            last_error="",
        )
        webhooks.emit(
            "delivery.sent",
            {
                "delivery_id": delivery_id,
                "automation_id": delivery.automation_id,
                "channel": channel,
            },
            member_id=delivery.member_id,
        )
    return "sent"


def delivery_give_up(delivery_id: int, error: str) -> None:
    """After the last attempt: failed for good, visible to staff (Deliveries, status failed)."""
    Delivery.objects.filter(pk=delivery_id).exclude(status=Delivery.Status.SENT).update(
        status=Delivery.Status.FAILED, last_error=f"gave up: {error}"[:2000], lease_until=None
    )
