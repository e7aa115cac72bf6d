"""Automations and messaging: triggers, runs, deliveries and the messages they send."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Member
from core.append_only import AppendOnlyModel
from points.models import MONEY, PointsEntry, Purchase, Tier
from rewards.models import IssuedReward, Reward

from .segments import Segment


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
    message_subject_nl = models.CharField(_("e-mail subject (Dutch)"), max_length=150, blank=True)
    message_body_nl = models.TextField(_("e-mail text (Dutch)"), blank=True)
    message_subject_en = models.CharField(_("e-mail subject (English)"), max_length=150, blank=True)
    message_body_en = models.TextField(
        _("e-mail text (English)"),
        blank=True,
        help_text=_("Empty = members who read English get the Dutch text."),
    )
    message_sms_nl = models.TextField(_("SMS text (Dutch)"), blank=True)
    message_sms_en = models.TextField(
        _("SMS text (English)"),
        blank=True,
        help_text=_("Empty = members who read English get the Dutch text."),
    )
    message_whatsapp_nl = models.TextField(
        _("WhatsApp text (Dutch)"), blank=True, help_text=_("Empty = the SMS text.")
    )
    message_whatsapp_en = models.TextField(
        _("WhatsApp text (English)"), blank=True, help_text=_("Empty = the SMS text.")
    )
    cooldown_days = models.PositiveIntegerField(
        _("at most once per (days)"),
        default=90,
        help_text=_("A member gets this automation at most once in this many days. 0 = no limit."),
    )
    max_per_day = models.PositiveIntegerField(
        _("budget per day (members)"),
        null=True,
        blank=True,
        help_text=_(
            "At most this many members get this automation per day (a number of members, not "
            "euros); the others are left out of that day's run. Empty = no limit."
        ),
    )
    max_total = models.PositiveIntegerField(
        _("budget in total (members)"),
        null=True,
        blank=True,
        help_text=_(
            "At most this many members get this automation, ever (a number of members, not "
            "euros). Empty = no limit. The dry run below shows what that costs."
        ),
    )
    budget_per_day = models.DecimalField(
        _("budget per day (€)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "At most this many euros a day (local date) in discounts, store credit and bonus "
            "points at their value; when it is spent, the day's other members are skipped "
            '("budget spent"). Codes already given keep working. Empty = no limit.'
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
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout (%)"),
        default=0,
        validators=[MaxValueValidator(90)],
        help_text=_(
            "This share of the audience, drawn at random but always the same members, gets "
            "nothing: no reward, no message. Their purchases are the baseline of the uplift "
            "report. 0 = no holdout."
        ),
    )
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
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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

    @property
    def arm_splits(self) -> list[tuple[int, int]]:
        """(arm id, split %) of its variants, in id order (the order assignment uses)."""
        return [(arm.pk, arm.split_percent) for arm in self.arms.order_by("pk")]

    def message_text(self, part: str, language: str) -> str:
        """What the marketer wrote for `part` (subject, body, sms, whatsapp) in `language`:
        English falls back to Dutch, WhatsApp to the SMS text. "" when nothing is written."""
        parts = {"whatsapp": ["whatsapp", "sms"]}.get(part, [part])
        languages = ["en", "nl"] if language == "en" else ["nl"]
        for code in languages:  # the member's language before the channel
            for name in parts:
                text = getattr(self, f"message_{name}_{code}")
                if text:
                    return text
        return ""


class AutomationArm(models.Model):
    """A variant of an automation's offer (10 % code, 20 % code, €10 credit …). Each treated
    member gets one arm, stably (campaigns/assignment.py); the splits of an automation's arms add
    up to 100 (checked in the admin form). An automation without arms gives its own reward."""

    automation = models.ForeignKey(
        Automation, on_delete=models.CASCADE, related_name="arms", verbose_name=_("automation")
    )
    name = models.CharField(_("name"), max_length=60)
    reward = models.ForeignKey(
        Reward,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reward"),
    )
    bonus_points = models.PositiveIntegerField(_("bonus points"), default=0)
    split_percent = models.PositiveSmallIntegerField(
        _("share of the treated members (%)"),
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("offer variant")
        verbose_name_plural = _("offer variants")
        ordering = ["automation", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.reward_id and not self.bonus_points:
            raise ValidationError({"reward": _("Give a reward, bonus points, or both.")})


class AutomationRun(models.Model):
    """One run of a scheduled automation, with what it did (budget left out, etc.)."""

    automation = models.ForeignKey(
        Automation, on_delete=models.CASCADE, related_name="runs", verbose_name=_("automation")
    )
    started_at = models.DateTimeField(default=timezone.now, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    is_dry_run = models.BooleanField(default=False, verbose_name=_("dry run"))
    audience = models.PositiveIntegerField(default=0, verbose_name=_("audience"))
    created = models.PositiveIntegerField(default=0, verbose_name=_("messages created"))
    left_out_by_budget = models.PositiveIntegerField(
        default=0, verbose_name=_("left out by the budget")
    )
    skipped_lock_held = models.BooleanField(
        default=False, verbose_name=_("skipped (already running)")
    )

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
        # In the holdout: no reward, no message; the baseline the uplift report compares with.
        HELD_OUT = "held_out", _("Held out (control group)")

    class SkipReason(models.TextChoices):
        NO_CONSENT = "no_consent", _("No consent for the channel")
        NO_ADDRESS = "no_address", _("No address for the channel")
        NO_MESSAGE = "no_message", _("The automation sends no message")
        OUT_OF_STOCK = "out_of_stock", _("The reward is out of stock")
        BLOCKED = "blocked", _("The member is blocked")
        REFUNDED = "refunded", _("The purchase that earned it was refunded")
        BUDGET_SPENT = "budget_spent", _("The budget in euros is spent")

    class Unwound(models.TextChoices):
        """What became of a delivery whose purchase was fully refunded (#18)."""

        CANCELLED = "cancelled", _("Not given yet: cancelled")
        REVERSED = "reversed", _("Taken back")
        REVIEW = "review", _("Already used: for staff review")

    automation = models.ForeignKey(
        Automation,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("automation"),
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("member")
    )
    period_key = models.CharField(max_length=64, verbose_name=_("period"))
    # The variant the member got; NULL for the automation's own offer and for the holdout.
    arm = models.ForeignKey(
        AutomationArm,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("offer variant"),
    )
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
        PointsEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bonus points entry"),
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
    # The purchase whose event created the delivery (first purchase, referral, stamp card):
    # a full refund of it unwinds the delivery (campaigns.services.unwinding).
    trigger_purchase = models.ForeignKey(
        Purchase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("earned by purchase"),
    )
    unwound_at = models.DateTimeField(_("unwound at"), null=True, blank=True)
    # db_default: automation runs insert deliveries in bulk SQL that names no such column.
    unwound = models.CharField(
        _("after the refund"),
        max_length=16,
        choices=Unwound.choices,
        blank=True,
        default="",
        db_default="",
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    converted_purchase = models.ForeignKey(
        Purchase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("converting purchase"),
    )
    # What the member spent from the conversion to the end of the offer window (amounts after
    # refunds), kept by campaigns.services.conversions as purchases and refunds are recorded: the
    # uplift report sums it instead of looking the purchases up (docs/kpis.md "Uplift").
    window_revenue = models.DecimalField(
        _("revenue in the offer window"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        db_default=Decimal("0"),
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
    the provider confirmed it is the delivery's status (`sent`) and `provider_reference`.
    Erasing the member blanks the address and the text (`erasable_columns`), nothing else."""

    erasable_columns = ("to", "subject", "body")

    delivery = models.OneToOneField(
        Delivery, on_delete=models.PROTECT, related_name="message", verbose_name=_("delivery")
    )
    channel = models.CharField(_("channel"), max_length=16)
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    sent_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")


class EscalationStep(models.Model):
    """Sending the same offer again on the next consented channel (e-mail → WhatsApp → SMS)
    when it has not worked after some days. Steps are taken in order; each is sent at most once
    per delivery (`EscalationSend`)."""

    class Condition(models.TextChoices):
        CODE_UNUSED = "code_unused", _("The code is still unused")
        NO_PURCHASE = "no_purchase", _("The member has not bought since the first message")

    automation = models.ForeignKey(
        Automation,
        on_delete=models.CASCADE,
        related_name="escalation_steps",
        verbose_name=_("automation"),
    )
    position = models.PositiveSmallIntegerField(
        _("step"), validators=[MinValueValidator(1)], help_text=_("1 = the first reminder.")
    )
    after_days = models.PositiveIntegerField(
        _("after (days)"),
        validators=[MinValueValidator(1)],
        help_text=_("Days after the first message."),
    )
    condition = models.CharField(
        _("only when"), max_length=16, choices=Condition.choices, default=Condition.NO_PURCHASE
    )

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["automation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["automation", "position"], name="escalation_step_position_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1, after_days__gte=1),
                name="escalation_step_positive",
            ),
        ]

    def __str__(self) -> str:
        return _("Step %(position)s after %(days)s days") % {
            "position": self.position,
            "days": self.after_days,
        }


class EscalationSend(models.Model):
    """One escalation step of one delivery: the offer again, on the next consented channel.

    (delivery, step) is unique: a repeated beat, an overlapping run or a retried job can never
    send a step twice for the same delivery."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")

    class SkipReason(models.TextChoices):
        NO_CHANNEL = "no_channel", _("No further consented channel")
        RESPONDED = "responded", _("The member responded (code used or bought)")
        EXPIRED = "expired", _("The offer expired")

    delivery = models.ForeignKey(
        Delivery, on_delete=models.PROTECT, related_name="escalations", verbose_name=_("delivery")
    )
    # PROTECT: a step with sends keeps its history; delete it by deactivating the automation.
    step = models.ForeignKey(
        EscalationStep, on_delete=models.PROTECT, related_name="sends", verbose_name=_("step")
    )
    position = models.PositiveSmallIntegerField(_("step"))
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    skip_reason = models.CharField(
        _("why skipped"), max_length=16, choices=SkipReason.choices, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The sending lease, as on Delivery: while it runs, no other worker sends this step.
    lease_until = models.DateTimeField(_("sending until"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation message")
        verbose_name_plural = _("escalation messages")
        ordering = ["delivery", "position"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "step"], name="escalation_once_per_step")
        ]
