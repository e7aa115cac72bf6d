"""Escalation across channels: the same offer again on the next consented channel (e-mail →
WhatsApp → SMS) when it has not worked after some days.

The hourly campaign beat (`automations_run_due`) calls `escalations_queue_due`; it records one
`EscalationSend` per due step and delivery (unique: a step is sent once per delivery, however
often the beat runs) and queues their sends in the outbox in the same transaction. A step
never goes out after the offer expired, to a member who responded (used the code, or bought,
depending on the step's condition) or on a channel without consent; these are checked again
when the message is sent. The frequency caps stay those of the automation: the steps belong to
the delivery of its cooldown period, so they add no new delivery.
"""

import dataclasses
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from core import outbox
from rewards.models import IssuedReward

from .. import messaging
from ..models import Automation, Delivery, EscalationSend, EscalationStep
from .deliveries import SendsBusy, pending_send, pending_send_finish

JOB_ESCALATION_SEND = "campaigns.escalation_send"  # handler in campaigns/jobs.py
SEND_CHUNK = 100
CHANNEL_ORDER = getattr(settings, "LOYALTY_CHANNEL_FALLBACK", ["email", "whatsapp", "sms"])


def responded(condition: str) -> Q:
    """Deliveries whose member responded in the sense of a step's condition: the code was used,
    or (no purchase) they bought since the first message. The one definition; the due query and
    the check before sending both use it."""
    if condition == EscalationStep.Condition.CODE_UNUSED:
        return Q(issued_reward__status=IssuedReward.Status.USED)
    return Q(converted_at__isnull=False) | Q(member__stats__last_purchase_at__gt=F("sent_at"))


def next_channel(member, used: list[str]) -> str | None:
    """The first channel after the ones already used, in the escalation order, that the member
    consented to and has an address for; None when there is none."""
    last = max(
        (CHANNEL_ORDER.index(channel) for channel in used if channel in CHANNEL_ORDER), default=-1
    )
    for channel in CHANNEL_ORDER[last + 1 :]:
        found, _skip = messaging.channel_for(member, channel)
        if found:
            return found
    return None


def _due(step: EscalationStep, now: datetime.datetime):
    deliveries = Delivery.objects.filter(
        automation_id=step.automation_id,
        status=Delivery.Status.SENT,
        sent_at__lte=now - datetime.timedelta(days=step.after_days),
        offer_expires_at__gt=now,
    ).exclude(Exists(EscalationSend.objects.filter(delivery=OuterRef("pk"), step=step)))
    if step.position > 1:  # the steps go in order: the one before must have had its turn
        deliveries = deliveries.filter(
            Exists(
                EscalationSend.objects.filter(delivery=OuterRef("pk"), position=step.position - 1)
            )
        )
    return deliveries.exclude(responded(step.condition))


def escalations_queue_due(*, now: datetime.datetime | None = None) -> int:
    """Records the escalation steps that are due and queues their messages (the hourly campaign
    beat). Returns how many messages were queued."""
    now = now or timezone.now()
    queued = 0
    steps = EscalationStep.objects.filter(automation__in=Automation.objects.live(now)).order_by(
        "automation_id", "position"
    )
    for step in steps:
        sends = []
        for delivery in (
            _due(step, now)
            .select_related("member")
            .prefetch_related("escalations")
            .order_by("pk")
            .iterator(chunk_size=2000)
        ):
            used = [delivery.channel, *(earlier.channel for earlier in delivery.escalations.all())]
            channel = next_channel(delivery.member, used)
            sends.append(
                EscalationSend(
                    delivery=delivery,
                    step=step,
                    position=step.position,
                    channel=channel or "",
                    status=(
                        EscalationSend.Status.PENDING if channel else EscalationSend.Status.SKIPPED
                    ),
                    skip_reason="" if channel else EscalationSend.SkipReason.NO_CHANNEL,
                    created_at=now,
                )
            )
        if not sends:
            continue
        with transaction.atomic(durable=True):
            # ignore_conflicts: a run at the same time inserted the same step; it sends it.
            EscalationSend.objects.bulk_create(sends, ignore_conflicts=True)
            ids = list(
                EscalationSend.objects.filter(
                    step=step,
                    created_at=now,
                    status=EscalationSend.Status.PENDING,
                    delivery__in=[send.delivery for send in sends],
                )
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            outbox.enqueue_many(
                JOB_ESCALATION_SEND,
                (
                    (f"escalation:{chunk[0]}-{chunk[-1]}", {"sends": chunk})
                    for chunk in (
                        ids[start : start + SEND_CHUNK] for start in range(0, len(ids), SEND_CHUNK)
                    )
                ),
            )
        queued += len(ids)
    return queued


def escalations_send(send_ids: list[int]) -> int:
    """Sends pending escalation messages, each once, after checking again that the member has
    not responded, the offer runs and consent holds. The provider gets the same key
    (`delivery-<id>-step-<n>`) on every try. Each is leased while it is handed to the provider,
    as deliveries are (`pending_send`): a step another worker is sending is left to it, and the
    job raises `SendsBusy` at the end to look again later. Returns how many were sent."""
    now = timezone.now()
    sent = 0
    busy = []
    for send_id in send_ids:
        with transaction.atomic(durable=True):
            send = (
                EscalationSend.objects.select_for_update(of=("self",))
                .select_related(
                    "step",
                    "delivery__member__point_account__tier",
                    "delivery__automation__reward",
                    "delivery__issued_reward__reward",
                    "delivery__bonus_entry",
                )
                .filter(pk=send_id, status=EscalationSend.Status.PENDING)
                .first()
            )
            if send is None:
                continue
            delivery = send.delivery
            reason = ""
            if delivery.offer_expires_at is None or delivery.offer_expires_at <= now:
                reason = EscalationSend.SkipReason.EXPIRED
            elif Delivery.objects.filter(responded(send.step.condition), pk=delivery.pk).exists():
                reason = EscalationSend.SkipReason.RESPONDED
            elif messaging.channel_for(delivery.member, send.channel)[0] is None:
                reason = EscalationSend.SkipReason.NO_CHANNEL
            if reason:
                send.status, send.skip_reason = EscalationSend.Status.SKIPPED, reason
                send.save(update_fields=["status", "skip_reason"])
                continue
            if not pending_send(send, now):
                busy.append(send_id)
                continue
            message = dataclasses.replace(
                messaging.render(delivery=delivery, channel=send.channel),
                key=f"{messaging.delivery_key(delivery.pk)}-step-{send.position}",
            )
        sent += pending_send_finish(EscalationSend, send_id, message)  # SendError: retried
    if busy:
        raise SendsBusy(f"escalation messages {busy} are being sent by another worker")
    return sent


@dataclasses.dataclass(frozen=True)
class StepResponse:
    position: int  # 0 = the first message
    channel: str
    sent: int
    responded: int  # conversions credited to this message

    @property
    def rate(self) -> Decimal | None:
        """Responded as a percentage of sent, one decimal."""
        if not self.sent:
            return None
        return (Decimal(self.responded) * 100 / self.sent).quantize(Decimal("0.1"), ROUND_HALF_UP)


def escalation_response(automation: Automation) -> list[StepResponse]:
    """Response per step and channel: messages sent, and conversions (a purchase within the
    offer's validity) credited to the last message the member got before converting. Two
    aggregate queries."""
    later_send = EscalationSend.objects.filter(
        delivery=OuterRef("pk"),
        status=EscalationSend.Status.SENT,
        sent_at__lte=OuterRef("converted_at"),
    )
    first = (
        Delivery.objects.filter(automation=automation, status=Delivery.Status.SENT)
        .values("channel")
        .annotate(
            sent=Count("pk"),
            responded=Count("pk", filter=Q(converted_at__isnull=False) & ~Q(Exists(later_send))),
        )
        .order_by("channel")
    )
    after_this = EscalationSend.objects.filter(
        delivery=OuterRef("delivery"),
        status=EscalationSend.Status.SENT,
        sent_at__gt=OuterRef("sent_at"),
        sent_at__lte=OuterRef("delivery__converted_at"),
    )
    steps = (
        EscalationSend.objects.filter(
            delivery__automation=automation, status=EscalationSend.Status.SENT
        )
        .values("position", "channel")
        .annotate(
            sent=Count("pk"),
            responded=Count(
                "pk",
                filter=Q(delivery__converted_at__gte=F("sent_at")) & ~Q(Exists(after_this)),
            ),
        )
        .order_by("position", "channel")
    )
    return [
        *(StepResponse(0, row["channel"], row["sent"], row["responded"]) for row in first),
        *(
            StepResponse(row["position"], row["channel"], row["sent"], row["responded"])
            for row in steps
        ),
    ]
