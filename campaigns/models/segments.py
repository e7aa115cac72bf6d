"""Who a campaign is for: member figures, segments, and the bonus-point campaigns."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ConsentChannel, Member, Store, TranslatedNameMixin
from points.models import MONEY, Channel, Tier

from ..attitude import Attitude, Behaviour
from ..lifecycle import STAGE_LABELS, STAGES
from .surveys import NpsCategory

LADDER_STAGE_CHOICES = [(stage, STAGE_LABELS[stage]) for stage in STAGES]

SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class MemberStats(models.Model):
    """Per-member purchase figures for segments, triggers and KPIs, kept up to date with every
    purchase and refund (and rebuilt by `refresh_member_stats`), so audiences are index scans
    instead of aggregates over every purchase."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    first_purchase_at = models.DateTimeField(null=True, blank=True)
    last_purchase_at = models.DateTimeField(null=True, blank=True, db_index=True)
    purchase_count = models.PositiveIntegerField(default=0)
    total_spend = models.DecimalField(default=Decimal("0.00"), **MONEY)
    # RFM quintiles (5 = best), recomputed nightly over all purchasing members.
    recency_score = models.PositiveSmallIntegerField(null=True, blank=True)
    frequency_score = models.PositiveSmallIntegerField(null=True, blank=True)
    monetary_score = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("member figures")
        verbose_name_plural = _("member figures")


class Segment(models.Model):
    """A group of members described by conditions that all must hold (AND).

    Evaluated as one database query (see `selectors.segment_members`). Empty conditions are
    ignored.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    min_points_balance = models.PositiveIntegerField(
        _("points balance at least"),
        null=True,
        blank=True,
        help_text=_("E.g. 100 for 'Loyal customers'."),
    )
    max_points_balance = models.PositiveIntegerField(
        _("points balance at most"), null=True, blank=True
    )
    min_score = models.PositiveIntegerField(
        _("loyalty score at least"),
        null=True,
        blank=True,
        help_text=_("E.g. 100 for 'Loyal customers'. The score is never spent (see score norms)."),
    )
    max_score = models.PositiveIntegerField(_("loyalty score at most"), null=True, blank=True)
    min_lifetime_points = models.PositiveIntegerField(
        _("points earned ever, at least"),
        null=True,
        blank=True,
        help_text=_("Points earned with purchases and activities, whatever was spent since."),
    )
    min_qualifying_points = models.PositiveIntegerField(
        _("qualifying points at least"),
        null=True,
        blank=True,
        help_text=_("Points earned in the tier window, the ones that count towards tiers."),
    )
    ladder_stage = models.CharField(
        _("ladder stage"),
        max_length=16,
        choices=LADDER_STAGE_CHOICES,
        blank=True,
        help_text=_("New, returning, loyal or ambassador (the loyalty ladder)."),
    )
    nps_category = models.CharField(
        _("NPS category"),
        max_length=16,
        choices=NpsCategory.choices,
        blank=True,
        help_text=_("By the member's latest survey answer: promoter (9–10), passive, detractor."),
    )
    tiers = models.ManyToManyField(
        Tier,
        blank=True,
        related_name="+",
        verbose_name=_("tiers"),
        help_text=_("Members in one of these tiers."),
    )
    min_days_since_last_purchase = models.PositiveIntegerField(
        _("days since last purchase, at least"),
        null=True,
        blank=True,
    )
    max_days_since_last_purchase = models.PositiveIntegerField(
        _("days since last purchase, at most"),
        null=True,
        blank=True,
    )
    period_days = models.PositiveIntegerField(
        _("period (days)"),
        default=365,
        help_text=_("The period for the purchase count, spend, store and channel conditions."),
    )
    min_purchases = models.PositiveIntegerField(
        _("purchases in period, at least"), null=True, blank=True
    )
    max_purchases = models.PositiveIntegerField(
        _("purchases in period, at most"), null=True, blank=True
    )
    min_spend = models.DecimalField(_("spend in period, at least"), null=True, blank=True, **MONEY)
    max_spend = models.DecimalField(_("spend in period, at most"), null=True, blank=True, **MONEY)
    stores = models.ManyToManyField(
        Store,
        blank=True,
        related_name="+",
        verbose_name=_("bought at"),
        help_text=_("Members who bought at one of these stores in the period."),
    )
    channel = models.CharField(
        _("bought via"),
        max_length=16,
        choices=Channel.choices,
        blank=True,
        help_text=_("Members who bought online / in a shop in the period."),
    )
    min_recency_score = models.PositiveSmallIntegerField(
        _("recency score ≥"), null=True, blank=True, validators=SCORE
    )
    min_frequency_score = models.PositiveSmallIntegerField(
        _("frequency score ≥"), null=True, blank=True, validators=SCORE
    )
    min_monetary_score = models.PositiveSmallIntegerField(
        _("monetary score ≥"), null=True, blank=True, validators=SCORE
    )
    max_recency_score = models.PositiveSmallIntegerField(
        _("recency score ≤"), null=True, blank=True, validators=SCORE
    )
    max_frequency_score = models.PositiveSmallIntegerField(
        _("frequency score ≤"), null=True, blank=True, validators=SCORE
    )
    max_monetary_score = models.PositiveSmallIntegerField(
        _("monetary score ≤"), null=True, blank=True, validators=SCORE
    )
    consent_channel = models.CharField(
        _("consented to"),
        max_length=16,
        choices=ConsentChannel.choices,
        blank=True,
        help_text=_("Only members who agreed to messages on this channel."),
    )
    attitude = models.CharField(
        _("attitude"),
        max_length=16,
        choices=Attitude.choices,
        blank=True,
        help_text=_(
            "Members by their last survey or satisfaction answer of the past year: satisfied "
            "(NPS 9–10, CSAT 8–10), neutral, or dissatisfied (NPS 0–6, CSAT 1–5)."
        ),
    )
    behaviour = models.CharField(
        _("behaviour"),
        max_length=16,
        choices=Behaviour.choices,
        blank=True,
        help_text=_(
            "Loyal: on the loyal or ambassador rung of the ladder and still active. With "
            "'satisfied' and 'not loyal': satisfied but not loyal; with 'dissatisfied' and "
            "'loyal': loyal but dissatisfied."
        ),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        permissions = [("export_segment", _("Can export segment members"))]

    def __str__(self) -> str:
        return self.name


class BonusCampaign(TranslatedNameMixin, models.Model):
    """Extra points in a date window: a multiplier or a fixed bonus, for a scope."""

    class Kind(models.TextChoices):
        MULTIPLIER = "multiplier", _("Multiplier (e.g. double points)")
        FIXED_BONUS = "fixed_bonus", _("Fixed bonus points")

    name_nl = models.CharField(
        _("name (Dutch)"),
        max_length=100,
        help_text=_("Shown in the points explanation, e.g. 'Dubbele punten weekend'."),
    )
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_("2 = double the base points of what the campaign covers."),
    )
    bonus_points = models.PositiveIntegerField(_("bonus points"), default=0)
    minimum_spend = models.DecimalField(
        _("minimum spend"),
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        **MONEY,
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    stores = models.ManyToManyField(
        Store,
        blank=True,
        related_name="+",
        verbose_name=_("stores"),
        help_text=_("Empty = all stores."),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    categories = models.TextField(
        _("categories"), blank=True, help_text=_("Comma-separated. Empty = everything.")
    )
    skus = models.TextField(_("SKUs"), blank=True)
    tiers = models.ManyToManyField(
        Tier,
        blank=True,
        related_name="+",
        verbose_name=_("tiers"),
        help_text=_("Empty = all tiers."),
    )
    segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("segment"),
        help_text=_("Only for members of this segment."),
    )
    budget_per_day = models.DecimalField(
        _("budget per day (€)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "At most this many euros of bonus points a day (local date), at their value in the "
            "programme settings; when it is spent, the campaign adds no more points that day. "
            "Empty = no limit."
        ),
        **MONEY,
    )
    budget_total = models.DecimalField(
        _("budget in total (€)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "At most this many euros in all, counted like the budget per day. Empty = no limit."
        ),
        **MONEY,
    )
    # Fixed once the campaign has started (the admin form refuses a change): the groups of the
    # uplift report are counted at the start (BonusAudience) and must stay the groups that
    # purchases are assigned to.
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout (%)"),
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "This share of the members the campaign is for, drawn at random but always the same "
            "members, gets no points from this campaign (other points as usual). Their "
            "purchases are the baseline of the uplift report. 0 = no holdout; at most 50. "
            "Cannot change once the campaign has started."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("bonus campaign")
        verbose_name_plural = _("bonus campaigns")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="bonus_campaign_window_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(holdout_percent__lte=50),
                name="bonus_campaign_holdout_at_most_half",
            ),
        ]

    def __str__(self) -> str:
        return self.translated("name")


class BonusAudience(models.Model):
    """Who a bonus campaign with a holdout was for when it started, and what they bought since:
    the figures of its uplift (docs/kpis.md "Uplift of bonus campaigns"), kept by a batch job
    (campaigns.services.bonus_audiences).

    Counted once at the start: the members per group (treated, held out) and per enrolment
    store, and which members they were, as a compressed bitmap of member ids. Recounted hourly
    while the campaign runs (then daily while late purchases may still come in): per enrolment
    store and group, the buyers, their revenue, its sum of squares and the campaign's points. The
    uplift report only adds these up, so it costs nothing per member."""

    # CASCADE: the figures belong to the campaign and mean nothing without it.
    campaign = models.OneToOneField(
        BonusCampaign,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="audience",
        verbose_name=_("bonus campaign"),
    )
    taken_at = models.DateTimeField(_("counted at"), default=timezone.now)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout (%)"))
    treated_members = models.PositiveIntegerField(_("members treated"))
    held_out_members = models.PositiveIntegerField(_("members held out"))
    # {"<enrolment store id>" or "": [treated, held out]}: the report's store/channel filter.
    counts_by_store = models.JSONField(_("members per store"), default=dict)
    # zlib of a bitmap: bit (id % 8) of byte (id // 8) is set for each member in the audience.
    members = models.BinaryField(_("members"), editable=False)
    # {"<enrolment store id>" or "": [treated, held out]}, each [buyers, "revenue", Σ revenue²,
    # campaign points]; revenue as a decimal string.
    results_by_store = models.JSONField(_("purchases per store"), default=dict)
    results_at = models.DateTimeField(_("purchases counted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bonus campaign audience")
        verbose_name_plural = _("bonus campaign audiences")

    def __str__(self) -> str:
        return str(self.campaign)
