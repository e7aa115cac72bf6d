"""The members' answers to the portal survey (NPS and the loyalty-index scores)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Member


class NpsCategory(models.TextChoices):
    """Where an answer to "how likely to recommend us" puts a member (Net Promoter Score)."""

    PROMOTER = "promoter", _("Promoter (9–10)")
    PASSIVE = "passive", _("Passive (7–8)")
    DETRACTOR = "detractor", _("Detractor (0–6)")


# The lowest recommend score of each category.
NPS_LOWEST: dict[str, int] = {
    NpsCategory.PROMOTER: 9,
    NpsCategory.PASSIVE: 7,
    NpsCategory.DETRACTOR: 0,
}
NPS_HIGHEST: dict[str, int] = {
    NpsCategory.PROMOTER: 10,
    NpsCategory.PASSIVE: 8,
    NpsCategory.DETRACTOR: 6,
}


class SurveyResponse(models.Model):
    """A member's answer to the short survey on the portal: NPS and the loyalty-index scores."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="survey_responses", verbose_name=_("member")
    )
    recommend_score = models.PositiveSmallIntegerField(
        _("how likely to recommend us (0–10)"), validators=[MaxValueValidator(10)]
    )
    repurchase_score = models.PositiveSmallIntegerField(
        _("how likely to buy again (1–10)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    try_new_score = models.PositiveSmallIntegerField(
        _("how likely to try our other products (1–10)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("answered at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recommend_score__lte=10), name="survey_recommend_0_to_10"
            ),
            models.CheckConstraint(
                condition=models.Q(repurchase_score__isnull=True)
                | models.Q(repurchase_score__gte=1, repurchase_score__lte=10),
                name="survey_repurchase_1_to_10",
            ),
            models.CheckConstraint(
                condition=models.Q(try_new_score__isnull=True)
                | models.Q(try_new_score__gte=1, try_new_score__lte=10),
                name="survey_try_new_1_to_10",
            ),
        ]
        indexes = [models.Index(fields=["member", "created_at"], name="survey_member_recent")]
