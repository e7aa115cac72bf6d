"""Attitude × behaviour (seed 001: "satisfaction is not loyalty"; seed 004: "ontevreden loyale
consumenten"): the one definition of each category.

*Attitude* is what a member says: their most recent answer in the last `ANSWER_WINDOW_DAYS`
days, to the NPS question ("would you recommend us", 0–10) or to the satisfaction question
("Bent u tevreden met …?", CSAT, 1–10), whichever came last:

| attitude     | NPS answer           | CSAT answer |
| ------------ | -------------------- | ----------- |
| satisfied    | 9–10 (promoter)      | 8–10        |
| neutral      | 7–8 (passive)        | 6–7         |
| dissatisfied | 0–6 (detractor)      | 1–5         |

A member without an answer in the window has no attitude ("unknown") and stays out of the grid.

*Behaviour* is what a member does (`lifecycle.loyal_members`): *loyal* = on the loyal or
ambassador rung of the ladder and still active (bought within the programme's dormant
threshold); everyone else who answered is *not loyal*.

Pure: the query helpers return expressions and conditions, not querysets; `campaigns.selectors`
(segments, automation audiences) and `insights.figures.attitude` (the dashboard grid) use them.
"""

import datetime

from django.db import models
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from .models.surveys import NPS_LOWEST, NpsCategory

ANSWER_WINDOW_DAYS = 365

# The NPS categories' bounds are defined once, with the categories (campaigns.models).
NPS_SATISFIED_FROM = NPS_LOWEST[NpsCategory.PROMOTER]
NPS_NEUTRAL_FROM = NPS_LOWEST[NpsCategory.PASSIVE]  # below: detractors
CSAT_SATISFIED_FROM = 8  # the CSAT's "satisfied" answers (docs/kpis.md)
CSAT_NEUTRAL_FROM = 6


class Attitude(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    NEUTRAL = "neutral", _("Neutral")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class Behaviour(models.TextChoices):
    LOYAL = "loyal", _("Loyal")
    NOT_LOYAL = "not_loyal", _("Not loyal")


def attitude_of(*, nps_score: int | None = None, csat_score: int | None = None) -> str:
    """One answer's attitude (give one of the two scores); "" for none. The SQL below places
    members by the same thresholds."""
    if nps_score is not None:
        if nps_score >= NPS_SATISFIED_FROM:
            return Attitude.SATISFIED
        return Attitude.NEUTRAL if nps_score >= NPS_NEUTRAL_FROM else Attitude.DISSATISFIED
    if csat_score is not None:
        if csat_score >= CSAT_SATISFIED_FROM:
            return Attitude.SATISFIED
        return Attitude.NEUTRAL if csat_score >= CSAT_NEUTRAL_FROM else Attitude.DISSATISFIED
    return ""


def answers_since(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=ANSWER_WINDOW_DAYS)


def attitude_expression(
    *, now: datetime.datetime, member_ref: str = "pk"
) -> tuple[Case, dict[str, Subquery]]:
    """An expression on members: their attitude now ("" without a recent answer), and the
    annotations it reads: two indexed subqueries per kind of answer (the last NPS and the last
    CSAT answer, and when), compared in SQL."""
    from .models import SatisfactionResponse, SurveyResponse

    since = answers_since(now)

    def latest(model, field: str):
        answers = model.objects.filter(
            member=OuterRef(member_ref), created_at__gte=since, created_at__lte=now
        ).order_by("-created_at", "-pk")
        return (
            Subquery(answers.values(field)[:1]),
            Subquery(answers.values("created_at")[:1], output_field=DateTimeField()),
        )

    nps_score, nps_at = latest(SurveyResponse, "recommend_score")
    csat_score, csat_at = latest(SatisfactionResponse, "score")
    epoch = Value(datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC), DateTimeField())
    # The CSAT answer counts when it is the later one (or the only one).
    csat_is_latest = Q(csat_score__isnull=False) & Q(csat_at__gte=Coalesce(F("nps_at"), epoch))
    return Case(
        When(csat_is_latest & Q(csat_score__gte=CSAT_SATISFIED_FROM), then=Value("satisfied")),
        When(csat_is_latest & Q(csat_score__gte=CSAT_NEUTRAL_FROM), then=Value("neutral")),
        When(csat_is_latest, then=Value("dissatisfied")),
        When(nps_score__gte=NPS_SATISFIED_FROM, then=Value("satisfied")),
        When(nps_score__gte=NPS_NEUTRAL_FROM, then=Value("neutral")),
        When(nps_score__isnull=False, then=Value("dissatisfied")),
        default=Value(""),
        output_field=CharField(),
    ), {"nps_score": nps_score, "nps_at": nps_at, "csat_score": csat_score, "csat_at": csat_at}


def members_with_attitude(members, *, now: datetime.datetime):
    """`members` with the alias `attitude` to filter or group on (see the table above)."""
    expression, parts = attitude_expression(now=now)
    return members.alias(**parts).alias(attitude=expression)
