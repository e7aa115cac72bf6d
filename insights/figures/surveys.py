"""Surveys: the NPS, the customer loyalty index and the satisfaction score (CSAT)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    Q,
    Sum,
)

from campaigns.attitude import CSAT_SATISFIED_FROM
from campaigns.models import (
    NPS_HIGHEST,
    NPS_LOWEST,
    NpsCategory,
    SatisfactionResponse,
    SurveyResponse,
)

from .series import ONE_DECIMAL, KpiFilter, mean, percent


@dataclass(frozen=True)
class Nps:
    responses: int
    promoters: int  # 9–10
    passives: int  # 7–8
    detractors: int  # 0–6
    score: Decimal | None  # % promoters − % detractors


@dataclass(frozen=True)
class LoyaltyIndex:
    responses: int
    recommend: Decimal | None  # mean score of each question
    repurchase: Decimal | None
    try_new: Decimal | None
    index: Decimal | None  # mean of the three means


def _answers(kpi_filter: KpiFilter):
    start, end = kpi_filter.instants()
    return SurveyResponse.objects.filter(
        kpi_filter.member_scope(), created_at__gte=start, created_at__lt=end
    )


def nps(kpi_filter: KpiFilter) -> Nps:
    """Net Promoter Score of the answers given in the period: % promoters (9–10) minus %
    detractors (0–6), from −100 to 100."""
    counts = _answers(kpi_filter).aggregate(
        responses=Count("pk"),
        promoters=Count("pk", filter=Q(recommend_score__gte=NPS_LOWEST[NpsCategory.PROMOTER])),
        detractors=Count("pk", filter=Q(recommend_score__lte=NPS_HIGHEST[NpsCategory.DETRACTOR])),
    )
    responses, promoters, detractors = (
        counts["responses"],
        counts["promoters"],
        counts["detractors"],
    )
    score = None
    if responses:
        score = (Decimal(promoters - detractors) * 100 / Decimal(responses)).quantize(
            ONE_DECIMAL, ROUND_HALF_UP
        )
    return Nps(
        responses=responses,
        promoters=promoters,
        passives=responses - promoters - detractors,
        detractors=detractors,
        score=score,
    )


def loyalty_index(kpi_filter: KpiFilter) -> LoyaltyIndex:
    """Customer loyalty index (seeds 001, 004): the mean of the mean scores for "would you
    recommend us", "would you buy again" and "would you try our other products"."""
    row = _answers(kpi_filter).aggregate(
        responses=Count("pk"),
        recommend_total=Sum("recommend_score"),
        recommend_count=Count("recommend_score"),
        repurchase_total=Sum("repurchase_score"),
        repurchase_count=Count("repurchase_score"),
        try_new_total=Sum("try_new_score"),
        try_new_count=Count("try_new_score"),
    )
    means = [
        mean(row[f"{question}_total"], row[f"{question}_count"])
        for question in ("recommend", "repurchase", "try_new")
    ]
    given = [value for value in means if value is not None]
    index = (sum(given) / len(given)).quantize(ONE_DECIMAL, ROUND_HALF_UP) if given else None
    return LoyaltyIndex(row["responses"], *means, index=index)


@dataclass(frozen=True)
class Csat:
    responses: int
    satisfied: int  # 8–10
    score: Decimal | None  # % of the answers that are 8–10
    mean: Decimal | None  # the mean answer, 1–10 (shown beside it)


def csat(kpi_filter: KpiFilter) -> Csat:
    """Customer Satisfaction Score (seed 004, "Bent u tevreden met …?", 1–10) of the answers
    given in the period: the share of satisfied answers (8–10) in percent; the mean answer
    beside it (docs/kpis.md)."""
    start, end = kpi_filter.instants()
    row = SatisfactionResponse.objects.filter(
        kpi_filter.member_scope(), created_at__gte=start, created_at__lt=end
    ).aggregate(
        responses=Count("pk"),
        satisfied=Count("pk", filter=Q(score__gte=CSAT_SATISFIED_FROM)),
        total=Sum("score"),
    )
    return Csat(
        responses=row["responses"],
        satisfied=row["satisfied"],
        score=percent(row["satisfied"], row["responses"]),
        mean=mean(row["total"], row["responses"]),
    )
