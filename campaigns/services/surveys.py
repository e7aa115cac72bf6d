"""The short survey on the portal (NPS and loyalty-index scores) and the satisfaction question
after a purchase (CSAT), each at most once per member per period."""

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member
from core import outbox
from core.errors import ApplicationError, Conflict, InvalidInput
from points.models import ActivityType, LoyaltyProgram, Purchase, ScoreSource
from points.services import activity_award, score_record

from .. import messaging
from ..models import (
    SatisfactionChannel,
    SatisfactionInvitation,
    SatisfactionResponse,
    SurveyResponse,
)
from .deliveries import SendsBusy, pending_send, pending_send_finish

SURVEY_ACTIVITY = "survey"


def survey_next_due(
    member: Member, *, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """When the member may answer again; None when they may answer now."""
    now = now or timezone.now()
    last = (
        SurveyResponse.objects.filter(member=member)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return None
    due = last + datetime.timedelta(days=LoyaltyProgram.current().survey_interval_days)
    return due if due > now else None


def survey_is_open_to(member: Member) -> bool:
    """The survey asks how we are doing: only a member who has bought something can say."""
    return Purchase.objects.filter(member=member).exists()


def survey_points() -> int | None:
    """What answering earns: the active 'survey' activity's points, or None when it earns none."""
    activity_type = ActivityType.objects.filter(code=SURVEY_ACTIVITY, is_active=True).first()
    return activity_type.points if activity_type is not None else None


def _score(value, *, field: str, low: int) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or not low <= value <= 10:
        raise InvalidInput(
            _("Choose a score from %(low)s to 10.") % {"low": low},
            code="invalid_score",
            field=field,
        )
    return value


def survey_answer(
    *,
    member: Member,
    recommend_score: int,
    repurchase_score: int | None = None,
    try_new_score: int | None = None,
    comment: str = "",
) -> SurveyResponse:
    """Stores an answer (once per survey period) and awards the survey activity's points, if the
    programme has a 'survey' activity type, in one transaction. Locks the member, then (for the
    points) the point account."""
    if recommend_score is None:
        raise InvalidInput(
            _("Choose a score from 0 to 10."), code="required", field="recommend_score"
        )
    _score(recommend_score, field="recommend_score", low=0)
    _score(repurchase_score, field="repurchase_score", low=1)
    _score(try_new_score, field="try_new_score", low=1)
    if not survey_is_open_to(member):
        raise Conflict(
            _("The survey is for members who have bought something."), code="survey_not_open"
        )
    with transaction.atomic(durable=True):
        Member.objects.select_for_update().filter(pk=member.pk).first()  # one answer at a time
        if survey_next_due(member) is not None:
            raise Conflict(_("Thank you, you already answered recently."), code="survey_not_due")
        response = SurveyResponse.objects.create(
            member=member,
            recommend_score=recommend_score,
            repurchase_score=repurchase_score,
            try_new_score=try_new_score,
            comment=(comment or "").strip()[:2000],
        )
        score_record(
            member_id=member.pk,
            source=ScoreSource.SURVEY_ANSWER,
            source_key=f"survey:{response.pk}",
            occurred_at=response.created_at,
        )
        activity_type = ActivityType.objects.filter(code=SURVEY_ACTIVITY, is_active=True).first()
        if activity_type is not None:
            try:
                # A savepoint on purpose: the answer stays when its points are refused.
                with transaction.atomic(savepoint=True):
                    activity_award(
                        member=member,
                        activity_type=activity_type,
                        reference=f"survey-{response.pk}",
                    )
            except ApplicationError:
                pass  # over the activity's cap: the answer still counts, the points do not
    return response


# --- the satisfaction question after a purchase (CSAT, seed 004) --------------------------------

# How long after a purchase the question is still asked about it.
SATISFACTION_ASK_WITHIN_DAYS = 14
JOB_SATISFACTION_SEND = "campaigns.satisfaction_send"  # handler in campaigns/jobs.py
SATISFACTION_SEND_CHUNK = 100


def satisfaction_next_due(
    member: Member, *, now: datetime.datetime | None = None
) -> datetime.datetime | None:
    """When the member may be asked (or answer) the satisfaction question again; None = now.
    The cap per member per period: one question asked or answered per
    `satisfaction_interval_days`, whether on the portal or by message."""
    now = now or timezone.now()
    interval = datetime.timedelta(days=LoyaltyProgram.current().satisfaction_interval_days)
    last_answer = (
        SatisfactionResponse.objects.filter(member=member)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last_answer is None:
        return None
    due = last_answer + interval
    return due if due > now else None


def satisfaction_purchase_for(
    member: Member, *, now: datetime.datetime | None = None
) -> Purchase | None:
    """The purchase the member is asked about now: their latest in the last
    `SATISFACTION_ASK_WITHIN_DAYS` days that has no answer, while the cap allows a question."""
    now = now or timezone.now()
    if satisfaction_next_due(member, now=now) is not None:
        return None
    return (
        Purchase.objects.filter(
            member=member,
            occurred_at__gte=now - datetime.timedelta(days=SATISFACTION_ASK_WITHIN_DAYS),
            occurred_at__lte=now,
            satisfaction_response__isnull=True,
        )
        .select_related("store")
        .order_by("-occurred_at", "-pk")
        .first()
    )


def satisfaction_answer(
    *,
    member: Member,
    purchase_id: int | None,
    score: int | None,
    comment: str = "",
    channel: str = SatisfactionChannel.PORTAL,
) -> SatisfactionResponse:
    """Stores the member's answer (1–10) about one of their recent purchases: at most one per
    purchase (unique) and one per `satisfaction_interval_days` (checked under the member's
    lock). Locks the member row."""
    if score is None:
        raise InvalidInput(_("Choose a score from 1 to 10."), code="required", field="score")
    _score(score, field="score", low=1)
    if channel not in SatisfactionChannel.values:
        raise InvalidInput(_("Unknown channel."), code="invalid_choice", field="channel")
    now = timezone.now()
    purchase = (
        Purchase.objects.filter(
            pk=purchase_id,
            member=member,
            occurred_at__gte=now - datetime.timedelta(days=SATISFACTION_ASK_WITHIN_DAYS),
        ).first()
        if isinstance(purchase_id, int) and not isinstance(purchase_id, bool)
        else None
    )
    if purchase is None:
        raise InvalidInput(
            _("This is not one of your recent purchases."), code="invalid", field="purchase"
        )
    with transaction.atomic(durable=True):
        Member.objects.select_for_update().filter(pk=member.pk).first()  # one answer at a time
        if SatisfactionResponse.objects.filter(purchase=purchase).exists():
            raise Conflict(
                _("Thank you, you already told us about this purchase."),
                code="satisfaction_answered",
            )
        if satisfaction_next_due(member, now=now) is not None:
            raise Conflict(
                _("Thank you, you already answered recently."), code="satisfaction_not_due"
            )
        return SatisfactionResponse.objects.create(
            member=member,
            purchase=purchase,
            score=score,
            channel=channel,
            comment=(comment or "").strip()[:2000],
            created_at=now,
        )


def satisfaction_invitations_queue(*, now: datetime.datetime | None = None) -> int:
    """Asks recent buyers the satisfaction question by message (what the hourly campaign beat
    calls). Per member at most one question per `satisfaction_interval_days`, about their latest
    purchase of the last day, on their preferred consented channel; members without consent and
    an address are not asked (they still see the question on the portal). One transaction:
    the invitations (unique per purchase) and their outbox send jobs. Returns how many."""
    now = now or timezone.now()
    interval = datetime.timedelta(days=LoyaltyProgram.current().satisfaction_interval_days)
    recent = now - interval
    latest = (
        Purchase.objects.filter(member=OuterRef("member"), occurred_at__lte=now)
        .order_by("-occurred_at", "-pk")
        .values("pk")[:1]
    )
    candidates = (
        Purchase.objects.filter(
            occurred_at__gte=now - datetime.timedelta(days=1),
            occurred_at__lte=now,
            member__status=Member.Status.ACTIVE,
            satisfaction_invitation__isnull=True,
            satisfaction_response__isnull=True,
        )
        .filter(pk=Subquery(latest))
        .exclude(
            Exists(
                SatisfactionInvitation.objects.filter(
                    member=OuterRef("member"), created_at__gte=recent
                )
            )
        )
        .exclude(
            Exists(
                SatisfactionResponse.objects.filter(
                    member=OuterRef("member"), created_at__gte=recent
                )
            )
        )
        .select_related("member")
        .order_by("pk")
    )
    invitations = []
    for purchase in candidates.iterator(chunk_size=2000):
        channel, _skip = messaging.channel_for(purchase.member, "preferred")
        if channel is None:
            continue
        invitations.append(
            SatisfactionInvitation(
                member_id=purchase.member_id, purchase=purchase, channel=channel, created_at=now
            )
        )
    with transaction.atomic(durable=True):
        SatisfactionInvitation.objects.bulk_create(invitations, ignore_conflicts=True)
        ids = list(
            SatisfactionInvitation.objects.filter(
                purchase__in=[invitation.purchase_id for invitation in invitations],
                status=SatisfactionInvitation.Status.PENDING,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        outbox.enqueue_many(
            JOB_SATISFACTION_SEND,
            (
                (f"satisfaction:{chunk[0]}-{chunk[-1]}", {"invitations": chunk})
                for chunk in (
                    ids[start : start + SATISFACTION_SEND_CHUNK]
                    for start in range(0, len(ids), SATISFACTION_SEND_CHUNK)
                )
            ),
        )
    return len(ids)


def satisfaction_invitations_send(invitation_ids: list[int]) -> int:
    """Sends pending invitations, each once: consent is checked again at sending (a member who
    withdrew it is skipped), the provider gets the key `satisfaction-<id>` on every try, and
    only a pending invitation is sent. Each is leased while it is handed to the provider, as
    deliveries are (`pending_send`): one another worker is sending is left to it, and the job
    raises `SendsBusy` at the end to look again later. Returns how many were sent."""
    now = timezone.now()
    sent = 0
    busy = []
    for invitation_id in invitation_ids:
        with transaction.atomic(durable=True):
            invitation = (
                SatisfactionInvitation.objects.select_for_update(of=("self",))
                .select_related("member", "purchase__store")
                .filter(pk=invitation_id, status=SatisfactionInvitation.Status.PENDING)
                .first()
            )
            if invitation is None:
                continue
            channel, _skip = messaging.channel_for(invitation.member, invitation.channel)
            if channel is None:
                invitation.status = SatisfactionInvitation.Status.SKIPPED
                invitation.save(update_fields=["status"])
                continue
            if not pending_send(invitation, now):
                busy.append(invitation_id)
                continue
        message = messaging.satisfaction_message(invitation)
        sent += pending_send_finish(SatisfactionInvitation, invitation_id, message)
    if busy:
        raise SendsBusy(f"satisfaction questions {busy} are being sent by another worker")
    return sent
