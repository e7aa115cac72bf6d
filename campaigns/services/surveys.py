"""The short survey on the portal: NPS and loyalty-index scores, at most once per period."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Member
from core.errors import ApplicationError, Conflict, InvalidInput
from points.models import ActivityType, LoyaltyProgram, Purchase, ScoreSource
from points.services import activity_award, score_record

from ..models import SurveyResponse

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
