"""The members' answers to the portal survey (NPS and the loyalty-index scores) and to the
satisfaction question after a purchase (CSAT)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Member
from points.models import Purchase


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


class SatisfactionChannel(models.TextChoices):
    """Where the satisfaction question was asked: on the portal, or by a message."""

    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class SatisfactionResponse(models.Model):
    """A member's answer to "Bent u tevreden met …?" (CSAT, seed 004) about one purchase, 1–10.

    One answer per purchase (unique): a second submit of the same form, or the portal and a
    message link at once, cannot count a purchase twice."""

    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="satisfaction_responses",
        verbose_name=_("member"),
    )
    # PROTECT: the answer is about this purchase; purchases are never deleted anyway.
    purchase = models.OneToOneField(
        Purchase,
        on_delete=models.PROTECT,
        related_name="satisfaction_response",
        verbose_name=_("purchase"),
    )
    score = models.PositiveSmallIntegerField(
        _("how satisfied (1–10)"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    channel = models.CharField(
        _("asked via"),
        max_length=16,
        choices=SatisfactionChannel.choices,
        default=SatisfactionChannel.PORTAL,
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("answered at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("satisfaction answer")
        verbose_name_plural = _("satisfaction answers")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=10), name="satisfaction_score_1_to_10"
            ),
        ]
        indexes = [models.Index(fields=["member", "created_at"], name="satisfaction_member_recent")]


class SatisfactionInvitation(models.Model):
    """The satisfaction question sent by message after a purchase. One per purchase (unique),
    so a repeated run or a retried job never asks twice about the same purchase; the cap per
    member per period is kept by the service that creates them."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="satisfaction_invitations",
        verbose_name=_("member"),
    )
    purchase = models.OneToOneField(
        Purchase,
        on_delete=models.PROTECT,
        related_name="satisfaction_invitation",
        verbose_name=_("purchase"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=SatisfactionChannel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # The sending lease, as on Delivery: while it runs, no other worker sends this question.
    lease_until = models.DateTimeField(_("sending until"), null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction question sent")
        verbose_name_plural = _("satisfaction questions sent")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["member", "created_at"], name="satisfaction_invite_recent")]
