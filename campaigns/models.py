from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ConsentChannel, Member, Store, TranslatedNameMixin
from core.append_only import AppendOnlyModel
from points.models import MONEY, Channel, PointsEntry, Purchase, Tier
from rewards.models import IssuedReward, Reward

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
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        permissions = [("export_segment", _("Can export segment members"))]

    def __str__(self) -> str:
        return self.name


class Trigger(models.TextChoices):
    DORMANT = "dormant", _("Dormant: no purchase for N days (reactivation offer)")
    WELCOME = "welcome", _("Welcome: on enrolment")
    FIRST_PURCHASE = "first_purchase", _("First purchase")
    NTH_PURCHASE = "nth_purchase", _("Every Nth purchase (stamp card)")
    BIRTHDAY = "birthday", _("Birthday")
    TIER_REACHED = "tier_reached", _("Tier reached")
    POINTS_EXPIRING = "points_expiring", _("Points expiring within N days")
    REFERRAL = "referral", _("Referral: a referred friend made a first purchase")

    @classmethod
    def scheduled(cls) -> set[str]:
        """Triggers found by a periodic run; the others fire on an event."""
        return {cls.DORMANT, cls.BIRTHDAY, cls.POINTS_EXPIRING}


class MessageChannel(models.TextChoices):
    PREFERRED = "preferred", _("The member's preferred channel, then the fallback order")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    NONE = "none", _("No message")


class AutomationQuerySet(models.QuerySet):
    def live(self, now=None):
        now = now or timezone.now()
        return (
            self.filter(is_active=True)
            .filter(models.Q(starts_at__isnull=True) | models.Q(starts_at__lte=now))
            .filter(models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=now))
        )


class Automation(models.Model):
    """Trigger + audience + action + channel + limits, edited by marketing in admin."""

    Trigger = Trigger

    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    days = models.PositiveIntegerField(
        _("days"),
        null=True,
        blank=True,
        help_text=_("Dormant: days without a purchase. Points expiring: within how many days."),
    )
    every_n = models.PositiveIntegerField(
        _("every N purchases"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2)],
        help_text=_("Stamp card: the reward comes with every Nth purchase."),
    )
    category = models.CharField(
        _("category"),
        max_length=64,
        blank=True,
        help_text=_("Stamp card: count only purchases with a product of this category."),
    )
    tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tier"),
        help_text=_("Tier reached: which tier (empty = any upgrade)."),
    )
    segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="automations",
        verbose_name=_("audience"),
        help_text=_("Only members of this segment. Empty = everyone."),
    )
    reward = models.ForeignKey(
        Reward,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reward"),
        help_text=_("A code or store credit from the catalogue."),
    )
    reward_validity_days = models.PositiveIntegerField(
        _("reward valid for (days)"),
        null=True,
        blank=True,
        help_text=_("Overrides the reward's own validity. Empty = the reward's."),
    )
    bonus_points = models.PositiveIntegerField(_("bonus points"), default=0)
    reward_newcomer = models.BooleanField(
        _("also reward the newcomer"),
        default=False,
        help_text=_("Referral: the referred friend gets the same reward too."),
    )
    channel = models.CharField(
        _("message channel"),
        max_length=16,
        choices=MessageChannel.choices,
        default=MessageChannel.PREFERRED,
    )
    only_reachable = models.BooleanField(
        _("only members we can message"),
        default=False,
        help_text=_(
            "Leave off to give the reward to everyone in the audience and record why a message "
            "could not be sent (no consent, no address)."
        ),
    )
    message_subject_nl = models.CharField(_("subject (Dutch)"), max_length=150, blank=True)
    message_subject_en = models.CharField(_("subject (English)"), max_length=150, blank=True)
    message_body_nl = models.TextField(
        _("message (Dutch)"), blank=True, help_text=_("Empty = the standard text of the trigger.")
    )
    message_body_en = models.TextField(_("message (English)"), blank=True)
    cooldown_days = models.PositiveIntegerField(
        _("at most once per (days)"),
        default=90,
        help_text=_("A member gets this automation at most once in this many days. 0 = no limit."),
    )
    max_per_day = models.PositiveIntegerField(_("budget per day"), null=True, blank=True)
    max_total = models.PositiveIntegerField(_("budget in total"), null=True, blank=True)
    conversion_days = models.PositiveIntegerField(
        _("conversion window (days)"),
        default=30,
        help_text=_(
            "A purchase within this many days counts as a conversion (or until the code expires)."
        ),
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Untick to pause; tick again to resume.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AutomationQuerySet.as_manager()

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.trigger in (Trigger.DORMANT, Trigger.POINTS_EXPIRING) and not self.days:
            errors["days"] = _("Say after how many days.")
        if self.trigger == Trigger.NTH_PURCHASE and not self.every_n:
            errors["every_n"] = _("Say every how many purchases.")
        if not self.reward_id and not self.bonus_points:
            errors["reward"] = _("Give a reward, bonus points, or both.")
        if errors:
            raise ValidationError(errors)

    def subject(self, language: str) -> str:
        return (self.message_subject_en if language == "en" else "") or self.message_subject_nl

    def body(self, language: str) -> str:
        return (self.message_body_en if language == "en" else "") or self.message_body_nl


class AutomationRun(models.Model):
    """One run of a scheduled automation, with what it did (budget left out, etc.)."""

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    is_dry_run = models.BooleanField(default=False)
    audience = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    left_out_by_budget = models.PositiveIntegerField(default=0)
    skipped_lock_held = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("automation run")
        verbose_name_plural = _("automation runs")
        ordering = ["-started_at"]


class Delivery(models.Model):
    """An automation reaching one member: what they got, how they were told, whether it worked.

    (automation, member, period_key) is unique: the same run twice, or two workers at once,
    cannot deliver twice in one period.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    class SkipReason(models.TextChoices):
        NO_CONSENT = "no_consent", _("No consent for the channel")
        NO_ADDRESS = "no_address", _("No address for the channel")
        NO_MESSAGE = "no_message", _("The automation sends no message")
        OUT_OF_STOCK = "out_of_stock", _("The reward is out of stock")
        BLOCKED = "blocked", _("The member is blocked")

    automation = models.ForeignKey(
        Automation,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("automation"),
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("member")
    )
    period_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    fulfilled_at = models.DateTimeField(_("reward given at"), null=True, blank=True)
    issued_reward = models.ForeignKey(
        IssuedReward,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reward"),
    )
    bonus_entry = models.ForeignKey(
        PointsEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    offer_expires_at = models.DateTimeField(_("offer valid until"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    skip_reason = models.CharField(
        _("why skipped"), max_length=16, choices=SkipReason.choices, blank=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # A send in progress holds the delivery until then; a send whose worker died is retried
    # once it has passed (a lease, not a guess from the age of the claim).
    lease_until = models.DateTimeField(_("sending until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=200, blank=True)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    converted_purchase = models.ForeignKey(
        Purchase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("converting purchase"),
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-pk"]
        permissions = [("resend_delivery", _("Can send a message again, with a reason"))]
        constraints = [
            models.UniqueConstraint(
                fields=["automation", "member", "period_key"], name="delivery_once_per_period"
            )
        ]
        indexes = [
            models.Index(fields=["automation", "member", "created_at"], name="delivery_cooldown"),
            models.Index(
                fields=["member", "offer_expires_at"],
                condition=models.Q(converted_at__isnull=True),
                name="delivery_open_offer",
            ),
            models.Index(
                fields=["automation", "status"],
                condition=models.Q(status__in=["pending", "sending", "failed"]),
                name="delivery_unfinished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.automation} → {self.member}"

    @property
    def code_used(self) -> bool:
        return bool(self.issued_reward_id and self.issued_reward.status == IssuedReward.Status.USED)


class OutboundMessage(AppendOnlyModel):
    """The message of a delivery, recorded in the step that hands it to the provider (just
    before the call). One per delivery (unique): a retry after a crash finds it and sends the
    same message again under the same key, so the provider can recognise the repeat. Whether
    the provider confirmed it is the delivery's status (`sent`) and `provider_reference`."""

    delivery = models.OneToOneField(Delivery, on_delete=models.PROTECT, related_name="message")
    channel = models.CharField(_("channel"), max_length=16)
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    sent_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")


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
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bonus campaign")
        verbose_name_plural = _("bonus campaigns")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="bonus_campaign_window_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.translated("name")


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


# --- KPI summaries ----------------------------------------------------------------------------
# Rebuilt set-based by `services.kpi_summaries_refresh()` (nightly, and `manage.py refresh_kpis`),
# so the dashboard reads a few thousand pre-aggregated rows instead of millions of purchases and
# ledger entries. Days are the programme's local calendar days. See docs/kpis.md.


class KpiRefresh(models.Model):
    """One rebuild of the KPI summaries; the latest tells the dashboard how fresh they are.

    Also carries the permission to see the KPI dashboard.
    """

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    dormant_after_days = models.PositiveSmallIntegerField(_("dormant after (days)"))
    members = models.PositiveIntegerField(_("members"), default=0)
    seconds = models.FloatField(_("duration (s)"), default=0)

    class Meta:
        verbose_name = _("KPI dashboard")
        verbose_name_plural = _("KPI dashboard")
        ordering = ["-started_at"]
        default_permissions = ()  # a record of rebuilds, never edited
        permissions = [("view_kpis", _("Can see the KPI dashboard and export its figures"))]


class DailyCount(models.Model):
    """How a figure changed on one day for the members of one (home) store.

    Member states are deltas: +1 when a member enters a state (a tier, a ladder stage, active),
    -1 when they leave it, so the count on day d is the sum of all deltas up to d. Points are the
    day's movements by kind (`points:<kind>:+` / `points:<kind>:-`), whose running sum is the
    outstanding balance.
    """

    day = models.DateField(db_index=True)
    # NULL: members enrolled without a store (by staff).
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=40)
    value = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["key", "day"], name="daily_count_key_day")]


class ActivitySpell(models.Model):
    """A run of purchases by one member with no gap longer than the dormant threshold.

    The member is active from the first purchase day until `dormant_on` (last purchase day +
    threshold), when they cross the dormant threshold unless a later spell starts.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    started_on = models.DateField()
    last_purchase_on = models.DateField()
    dormant_on = models.DateField(db_index=True)
    purchases = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["started_on"], name="activity_spell_started")]


class MemberMilestone(models.Model):
    """The days a member reached each rung of the loyalty ladder, and first bought something new."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    enrolled_on = models.DateField()
    first_purchase_on = models.DateField(null=True, blank=True)
    returning_on = models.DateField(null=True, blank=True)  # the 2nd purchase
    loyal_on = models.DateField(null=True, blank=True)  # the 5th purchase
    ambassador_on = models.DateField(null=True, blank=True)  # the first referred member enrolled
    upsell_on = models.DateField(null=True, blank=True)  # a category new to them, after the 1st

    class Meta:
        indexes = [
            models.Index(fields=["enrolled_on"], name="milestone_enrolled"),
            models.Index(fields=["returning_on"], name="milestone_returning"),
            models.Index(fields=["loyal_on"], name="milestone_loyal"),
            models.Index(fields=["ambassador_on"], name="milestone_ambassador"),
        ]


class RfmCell(models.Model):
    """Members per recency × frequency score (and their monetary scores), per home store."""

    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    recency_score = models.PositiveSmallIntegerField()
    frequency_score = models.PositiveSmallIntegerField()
    members = models.PositiveIntegerField()
    monetary_score_total = models.PositiveIntegerField()
