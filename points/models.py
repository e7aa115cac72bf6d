"""Tables of the points app: stores' purchases and refunds, the ledger and point accounts,
earning rules, activities, tiers and the programme settings.

Past 400 lines on purpose: these tables and their database constraints (which guard the money)
are read together; each class is short, and splitting them would scatter the constraints that
docs/architecture.md lists.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Member, Store, TranslatedNameMixin
from core.append_only import AppendOnlyModel
from core.singleton import CachedSingleton

MONEY = {"max_digits": 12, "decimal_places": 2}


class TierBasis(models.TextChoices):
    POINTS = "points", _("Qualifying points")
    SPEND = "spend", _("Spend (euros)")


class LoyaltyProgram(CachedSingleton):
    """The programme's settings, one row, edited in admin."""

    points_expire_after_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"),
        default=24,
        help_text=_(
            "Points expire this many months after they were earned; the oldest points are used "
            "first. 0 = points never expire. Changes apply to points earned from now on."
        ),
    )
    qualifying_window_months = models.PositiveSmallIntegerField(
        _("tier window (months)"),
        default=12,
        help_text=_(
            "Tiers are reached with the points earned in this many past months. "
            "0 = all points ever earned count."
        ),
    )
    point_value = models.DecimalField(
        _("value of one point"),
        max_digits=8,
        decimal_places=4,
        default=Decimal("0.01"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("What one point costs the shop, for the liability figures."),
    )
    margin_percent = models.DecimalField(
        _("gross margin (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("30.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "What the shop keeps of a euro of sales before loyalty costs, for the incremental "
            "margin of offers (uplift report)."
        ),
    )
    dormant_after_days = models.PositiveSmallIntegerField(
        _("dormant after (days)"),
        default=180,
        help_text=_(
            "A member who bought nothing for this many days counts as dormant (lost) in the "
            "figures: churn, active and dormant members."
        ),
    )
    survey_interval_days = models.PositiveSmallIntegerField(
        _("survey at most every (days)"),
        default=90,
        help_text=_("How often a member may be asked the short survey on the portal."),
    )
    satisfaction_interval_days = models.PositiveSmallIntegerField(
        _("satisfaction question at most every (days)"),
        default=30,
        help_text=_(
            'After a purchase a member is asked "Are you satisfied with …?" (CSAT) on the '
            "portal and by message, at most once in this many days."
        ),
    )
    # Retention (GDPR art. 5(1)(e)): how long personal data is kept, purged nightly
    # (campaigns.services.retention; docs/privacy.md). 0 = kept until the member is erased.
    message_retention_days = models.PositiveSmallIntegerField(
        _("keep message texts for (days)"),
        default=365,
        help_text=_(
            "After this many days the address, subject and text of a sent message are "
            "removed; that it was sent stays for the figures. 0 = keep them."
        ),
    )
    sign_in_retention_days = models.PositiveSmallIntegerField(
        _("keep sign-in links for (days)"),
        default=30,
        help_text=_("Used and expired sign-in links are deleted after this many days."),
    )
    access_log_retention_days = models.PositiveSmallIntegerField(
        _("keep access logs for (days)"),
        default=90,
        help_text=_(
            "Staff sign-in attempts (user name, IP address, browser) are deleted after this "
            "many days. 0 = keep them."
        ),
    )
    closed_member_retention_days = models.PositiveSmallIntegerField(
        _("erase blocked members after (days)"),
        default=730,
        help_text=_(
            "A member blocked and left unchanged for this many days is erased (personal data "
            "removed, points history kept anonymous). 0 = never automatically."
        ),
    )
    dormant_erasure_years = models.PositiveSmallIntegerField(
        _("offer erasure after inactivity (years)"),
        default=3,
        help_text=_(
            "Members without any purchase, activity, sign-in or consent change for this many "
            "years are listed for managers to erase. 0 = never listed."
        ),
    )
    score_window_days = models.PositiveSmallIntegerField(
        _("loyalty score counts (days)"),
        default=365,
        help_text=_(
            "The loyalty score adds up what members did in this many past days, so it fades when "
            "they stop. 0 = everything ever done counts."
        ),
    )
    tier_basis = models.CharField(
        _("tiers are reached by"),
        max_length=8,
        choices=TierBasis.choices,
        default=TierBasis.POINTS,
        help_text=_(
            "Points: a tier's threshold is qualifying points. Spend: it is euros spent (after "
            "discounts and refunds) in the tier window."
        ),
    )
    # The return window (#18): points of a purchase stay pending, shown but not spendable,
    # until the customer can no longer return the goods. 0 = spendable at once (as before).
    return_window_days_offline = models.PositiveSmallIntegerField(
        _("return window in shops (days)"),
        default=0,
        help_text=_(
            "Points earned in a shop stay pending for this many days: shown, but not "
            "spendable until the return period is over. 0 = spendable at once."
        ),
    )
    return_window_days_online = models.PositiveSmallIntegerField(
        _("return window online (days)"),
        default=0,
        help_text=_(
            "Points earned online stay pending for this many days (e.g. 14, the legal "
            "withdrawal period). 0 = spendable at once."
        ),
    )
    tiers_count_pending_points = models.BooleanField(
        _("tiers count pending points"),
        default=False,
        help_text=_(
            "On: pending points count towards tiers at once (and stop counting if the "
            "purchase is returned). Off: they count once released."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    CACHE_KEY = "points:loyalty-program"

    class Meta:
        verbose_name = _("programme settings")
        verbose_name_plural = _("programme settings")

    def __str__(self) -> str:
        return str(_("Programme settings"))

    def return_window_days(self, channel: str) -> int:
        """How long points earned in this channel stay pending."""
        if channel == Store.Channel.ONLINE:
            return self.return_window_days_online
        return self.return_window_days_offline


class Tier(TranslatedNameMixin, models.Model):
    """A level members reach with the points they earn in the tier window."""

    name_nl = models.CharField(_("name (Dutch)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50, blank=True)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#B08D57",
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("Use a colour like #C0C0C0."))],
        help_text=_("Shown on the member portal, e.g. #C0C0C0 for silver."),
    )
    rank = models.PositiveSmallIntegerField(
        _("rank"), unique=True, help_text=_("1 for the first tier, 2 for the next, and so on.")
    )
    threshold = models.PositiveIntegerField(
        _("points needed"),
        unique=True,
        help_text=_(
            "Points a member must earn within the tier window to reach this tier (whole euros "
            "spent when the programme reaches tiers by spend). "
            "Give the first tier 0 so every member has one."
        ),
    )
    earn_multiplier = models.DecimalField(
        _("earn multiplier"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_("Purchases earn this many times the points: 1.25 = a quarter extra."),
    )

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.translated("name")

    def clean(self) -> None:
        # A higher rank must need more points, or "upgrade" would mean nothing.
        others = Tier.objects.exclude(pk=self.pk)
        if self.rank is None or self.threshold is None:
            return
        if (
            others.filter(rank__lt=self.rank, threshold__gte=self.threshold).exists()
            or others.filter(rank__gt=self.rank, threshold__lte=self.threshold).exists()
        ):
            raise ValidationError(
                {"threshold": _("Higher ranks must need more points than lower ones.")}
            )


class PointAccount(models.Model):
    """A member's points. `balance` is a cache of SUM(entries), written in the same transaction
    as every entry (see `check_ledger`)."""

    # PROTECT: points history outlives nothing; members are anonymised, not deleted.
    member = models.OneToOneField(
        Member, on_delete=models.PROTECT, related_name="point_account", verbose_name=_("member")
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    # Points earned inside a return window, not yet spendable: a cache of SUM(pending_points)
    # of the entries, written with them like `balance`.
    pending_balance = models.BigIntegerField(_("pending points"), default=0)
    tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,  # a tier in use is not deleted; members would lose it silently
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name=_("tier"),
    )
    tier_valid_until = models.DateTimeField(
        _("tier valid until"),
        null=True,
        blank=True,
        help_text=_("The tier is kept at least until then. Empty = for good."),
    )
    flagged_at = models.DateTimeField(
        _("flagged at"),
        null=True,
        blank=True,
        help_text=_("Set when a refund took back points that were already spent."),
    )
    # Set when the member was merged into another (`member_merge`): the balance moved there,
    # and `account_lock` refuses every later change, so a till that looked the card up just
    # before the merge cannot leave points behind on it.
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("point account")
        verbose_name_plural = _("point accounts")
        permissions = [("adjust_points", _("Can adjust points with a reason"))]
        constraints = [
            # Pending points are only ever released or cancelled, never more than were earned.
            models.CheckConstraint(
                condition=models.Q(pending_balance__gte=0), name="pending_points_never_negative"
            )
        ]
        indexes = [
            models.Index(
                fields=["tier_valid_until"],
                condition=models.Q(tier_valid_until__isnull=False),
                name="account_tier_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.card_number}: {self.balance}"


class Channel(models.TextChoices):
    OFFLINE = Store.Channel.OFFLINE.value, Store.Channel.OFFLINE.label
    ONLINE = Store.Channel.ONLINE.value, Store.Channel.ONLINE.label


class Purchase(models.Model):
    """A purchase reported by a till or the web shop; idempotent on (store, transaction_id)."""

    # No single-column indexes on store and member: the unique (store, transaction_id) and the
    # (member, occurred_at) indexes serve those lookups, and every index costs each insert.
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        related_name="purchases",
        verbose_name=_("store"),
        db_index=False,
    )
    transaction_id = models.CharField(_("transaction id"), max_length=64)
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="purchases",
        verbose_name=_("member"),
        db_index=False,
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    discount_total = models.DecimalField(_("discounts"), default=Decimal("0.00"), **MONEY)
    store_credit_used = models.DecimalField(
        _("store credit used"), default=Decimal("0.00"), **MONEY
    )
    currency = models.CharField(_("currency"), max_length=3)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    points_earned = models.BigIntegerField(_("points earned"), default=0)
    explanation = models.JSONField(_("explanation"), default=list, blank=True)
    refunded_amount = models.DecimalField(_("refunded"), default=Decimal("0.00"), **MONEY)
    points_reversed = models.BigIntegerField(_("points reversed"), default=0)
    request_hash = models.CharField(
        max_length=64, editable=False, verbose_name=_("request fingerprint")
    )
    response_body = models.JSONField(default=dict, editable=False, verbose_name=_("stored answer"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        constraints = [
            models.UniqueConstraint(
                fields=["store", "transaction_id"], name="purchase_transaction_unique_per_store"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="purchase_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__lte=models.F("amount")),
                name="purchase_refund_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["member", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.store.code}/{self.transaction_id}"

    @property
    def net_amount(self) -> Decimal:
        """What the customer paid, in money and store credit: the base of refunds."""
        return self.amount - self.discount_total

    @property
    def earning_amount(self) -> Decimal:
        """The amount points are earned on: after discounts, without store credit (which was
        itself a reward)."""
        return self.amount - self.discount_total - self.store_credit_used


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(
        Purchase, on_delete=models.CASCADE, related_name="lines", verbose_name=_("purchase")
    )
    sku = models.CharField(_("SKU"), max_length=64, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3, default=1)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        verbose_name = _("purchase line")
        verbose_name_plural = _("purchase lines")


class Refund(models.Model):
    """A (partial) refund of a purchase, recorded by any store of the chain; idempotent on
    (purchase, refunding store, refund_id): each store numbers its own refunds."""

    purchase = models.ForeignKey(
        Purchase, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("purchase")
    )
    # The store that took the goods back; the purchase names the store that sold them.
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        related_name="refunds",
        verbose_name=_("refunding store"),
        db_index=False,  # the unique (purchase, store, refund_id) index serves the lookups
    )
    refund_id = models.CharField(_("refund id"), max_length=64)
    amount = models.DecimalField(_("amount"), **MONEY)
    points_reversed = models.BigIntegerField(_("points reversed"), default=0)
    store_credit_returned = models.DecimalField(
        _("store credit returned"), default=Decimal("0.00"), **MONEY
    )
    lines = models.JSONField(_("lines"), default=list, blank=True)
    request_hash = models.CharField(max_length=64, editable=False)
    response_body = models.JSONField(default=dict, editable=False)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["purchase", "store", "refund_id"], name="refund_id_unique_per_store"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase} refund {self.refund_id}"


class ActivityType(TranslatedNameMixin, models.Model):
    """Non-purchase activities that earn points: the programme's 'preset norms'."""

    class Period(models.TextChoices):
        DAY = "day", _("per day")
        WEEK = "week", _("per week")
        MONTH = "month", _("per month")
        YEAR = "year", _("per year")
        EVER = "ever", _("in total")

    code = models.SlugField(
        _("code"), max_length=50, unique=True, help_text=_("What tills send, e.g. 'review'.")
    )
    name_nl = models.CharField(_("name (Dutch)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    points = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    cap = models.PositiveIntegerField(
        _("maximum times"),
        null=True,
        blank=True,
        help_text=_("How often a member can earn this per period. Empty = no limit."),
    )
    cap_period = models.CharField(
        _("period"), max_length=8, choices=Period.choices, default=Period.DAY
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.translated("name")


class Activity(models.Model):
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="activities", verbose_name=_("member")
    )
    activity_type = models.ForeignKey(
        ActivityType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type")
    )
    reference = models.CharField(_("reference"), max_length=100)
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
    )
    points = models.PositiveIntegerField(_("points"))
    occurred_at = models.DateTimeField(_("occurred at"))
    request_hash = models.CharField(
        max_length=64, editable=False, verbose_name=_("request fingerprint")
    )
    response_body = models.JSONField(default=dict, editable=False, verbose_name=_("stored answer"))
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "activity_type", "reference"], name="activity_reference_unique"
            )
        ]
        indexes = [models.Index(fields=["member", "activity_type", "occurred_at"])]


class EntryKind(models.TextChoices):
    EARN = "earn", _("Purchase")
    ACTIVITY = "activity", _("Activity")
    BONUS = "bonus", _("Bonus")
    ADJUSTMENT = "adjustment", _("Staff correction")
    REFUND_REVERSAL = "refund_reversal", _("Refund")
    REDEMPTION = "redemption", _("Reward redeemed")
    REDEMPTION_REVERSAL = "redemption_reversal", _("Redemption undone")
    EXPIRY = "expiry", _("Points expired")
    # The balance a member brought from the programme this one replaced (import_members).
    OPENING = "opening", _("Opening balance")
    # A merge of two members (campaigns.services.member_merge): the duplicate's balance leaves
    # its ledger in one MERGE_OUT and arrives on the survivor's in MERGE_IN entries that keep
    # its expiry dates and tier-qualifying history; together they add up to zero.
    MERGE_OUT = "merge_out", _("Moved to another card (merge)")
    MERGE_IN = "merge_in", _("Brought from a merged card")
    # Pending points (#18): an EARN inside the return window holds its points in
    # `pending_points`; RELEASE moves what is left to the balance once the window ended,
    # PENDING_CANCEL takes back the refunded share before that. Both point at the EARN.
    RELEASE = "release", _("Pending points released")
    PENDING_CANCEL = "pending_cancel", _("Pending points cancelled (returned)")


class PointsEntry(AppendOnlyModel):
    """One line of the points ledger. Append-only: corrections are new entries."""

    Kind = EntryKind

    # The (account, -id) index below serves account lookups; links that are mostly empty get
    # partial indexes (see Meta): a ledger of millions of rows pays for every index on insert.
    account = models.ForeignKey(
        PointAccount,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("account"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=24, choices=EntryKind.choices)
    points = models.BigIntegerField(_("points"))
    # Change of the pending (not yet spendable) points: + on a pending EARN, - on its RELEASE
    # or PENDING_CANCEL. `pending_balance == SUM(pending_points)` as `balance == SUM(points)`.
    pending_points = models.BigIntegerField(_("pending points"), default=0)
    pending_until = models.DateTimeField(
        _("pending until"),
        null=True,
        blank=True,
        help_text=_("When the return window of these pending points ends."),
    )
    balance_after = models.BigIntegerField(_("balance after"))
    # Whether the points count towards tiers: earned yes; bought, given or corrected no, unless
    # staff say so when adjusting.
    is_qualifying = models.BooleanField(_("counts for tier"), default=False)
    effective_at = models.DateTimeField(_("counts from"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    purchase = models.ForeignKey(
        Purchase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        db_index=False,
        verbose_name=_("purchase"),
    )
    refund = models.ForeignKey(
        Refund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        db_index=False,
        verbose_name=_("refund"),
    )
    activity = models.ForeignKey(
        Activity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        db_index=False,
        verbose_name=_("activity"),
    )
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff user"),
        db_index=False,
    )
    reason = models.TextField(_("reason"), blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(points=0) | ~models.Q(pending_points=0),
                name="points_entry_not_zero",
            ),
            # Pending points are released once: the job and a retry can never both pay them.
            models.UniqueConstraint(
                fields=["corrects"],
                condition=models.Q(kind="release"),
                name="pending_points_released_once",
            ),
            models.CheckConstraint(
                condition=models.Q(pending_points__lte=0) | models.Q(pending_until__isnull=False),
                name="pending_points_have_a_release_date",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True) | models.Q(points__gt=0),
                name="points_entry_only_credits_expire",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-id"], name="points_entry_account_recent"),
            models.Index(
                fields=["account", "expires_at"],
                condition=models.Q(expires_at__isnull=False),
                name="points_entry_expiring",
            ),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(expires_at__isnull=False),
                name="points_entry_expiry_due",
            ),
            models.Index(
                fields=["account", "effective_at"],
                condition=models.Q(is_qualifying=True),
                name="points_entry_qualifying",
            ),
            models.Index(fields=["kind", "created_at"], name="points_entry_kind_time"),
            models.Index(
                fields=["pending_until"],
                condition=models.Q(pending_until__isnull=False),
                name="points_entry_pending_due",
            ),
            *(
                models.Index(
                    fields=[link],
                    condition=models.Q(**{f"{link}__isnull": False}),
                    name=f"points_entry_{link}",
                )
                for link in ("purchase", "refund", "activity", "staff_user", "corrects")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d}"


class EarningRule(TranslatedNameMixin, models.Model):
    """How purchases earn points. Edited by marketing in admin."""

    class Kind(models.TextChoices):
        BASE_RATE = "base_rate", _("Base rate (points per euro)")
        MULTIPLIER = "multiplier", _("Multiplier (e.g. double points)")
        FIXED_BONUS = "fixed_bonus", _("Fixed bonus points")

    name_nl = models.CharField(_("name (Dutch)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    points_per_unit = models.DecimalField(
        _("points per euro"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Base rate only. Points per euro of what the rule covers, rounded down "
            "(1 = one point per whole euro). Of several base rates in force, only the one "
            "with the highest priority counts."
        ),
    )
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_(
            "Multiplier only. 2 = double points on what the rule covers (the base points "
            "once more), 1.5 = half as many again."
        ),
    )
    bonus_points = models.PositiveIntegerField(
        _("bonus points"), default=0, help_text=_("Fixed bonus only: points added per purchase.")
    )
    minimum_spend = models.DecimalField(
        _("minimum spend"),
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The rule counts only when what it covers adds up to at least this amount."),
        **MONEY,
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(
        _("valid until"), null=True, blank=True, help_text=_("Empty = no end date.")
    )
    stores = models.ManyToManyField(
        Store,
        blank=True,
        related_name="+",
        verbose_name=_("stores"),
        help_text=_("Empty = all stores."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=16,
        choices=Channel.choices,
        blank=True,
        help_text=_("Empty = online and offline."),
    )
    categories = models.TextField(
        _("categories"),
        blank=True,
        help_text=_("Comma-separated product categories the rule covers. Empty = everything."),
    )
    skus = models.TextField(
        _("SKUs"), blank=True, help_text=_("Comma-separated SKUs the rule covers.")
    )
    excluded_categories = models.TextField(
        _("excluded categories"),
        blank=True,
        help_text=_("Comma-separated categories that never earn under this rule, e.g. tobacco."),
    )
    excluded_skus = models.TextField(_("excluded SKUs"), blank=True)
    priority = models.SmallIntegerField(
        _("priority"), default=0, help_text=_("Higher numbers are applied and listed first.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["-priority", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gt=models.F("valid_from")),
                name="earning_rule_window_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.translated("name")


class ScoreSource(models.TextChoices):
    """What feeds the loyalty score (seed 000: activities from every channel)."""

    PURCHASE = "purchase", _("Purchase (per purchase)")
    PURCHASE_AMOUNT = "purchase_amount", _("Purchase (per euro)")
    ACTIVITY = "activity", _("Activity (review, app use …)")
    CAMPAIGN_RESPONSE = "campaign_response", _("Offer used (campaign response)")
    SURVEY_ANSWER = "survey_answer", _("Survey answered")
    PORTAL_VISIT = "portal_visit", _("Portal visit (once a day)")


class ScoreNorm(models.Model):
    """What one activity is worth on the loyalty score: the programme's preset norms.

    Read when the activity is recorded, so an edited norm counts for new activities only."""

    source = models.CharField(_("activity"), max_length=24, choices=ScoreSource.choices)
    activity_type = models.ForeignKey(
        ActivityType,
        on_delete=models.PROTECT,  # a norm in use keeps its activity type
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activity type"),
        help_text=_("Only for the activity norm: which activity it values."),
    )
    value = models.DecimalField(
        _("score"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Score for one activity; for 'per euro' the score per euro spent. Rounded down."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("score norm")
        verbose_name_plural = _("score norms")
        ordering = ["source", "activity_type__code"]
        constraints = [
            # One norm per activity, so an activity's value is never ambiguous.
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(activity_type__isnull=True),
                name="score_norm_one_per_source",
            ),
            models.UniqueConstraint(
                fields=["activity_type"],
                condition=models.Q(activity_type__isnull=False),
                name="score_norm_one_per_activity_type",
            ),
        ]

    def __str__(self) -> str:
        if self.activity_type_id:
            return f"{self.get_source_display()}: {self.activity_type}"
        return str(self.get_source_display())

    def clean(self) -> None:
        if self.source == ScoreSource.ACTIVITY and self.activity_type_id is None:
            raise ValidationError({"activity_type": _("Choose the activity this norm values.")})
        if self.source != ScoreSource.ACTIVITY and self.activity_type_id is not None:
            raise ValidationError(
                {"activity_type": _("Only the activity norm names an activity type.")}
            )


class ScoreEntry(AppendOnlyModel):
    """One line of the engagement ledger behind the loyalty score. Append-only, never spent:
    nothing but activities writes it, so redeeming points never changes the score."""

    Source = ScoreSource

    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,  # members are anonymised, not deleted
        related_name="score_entries",
        verbose_name=_("member"),
        db_index=False,
    )
    source = models.CharField(_("activity"), max_length=24, choices=ScoreSource.choices)
    activity_type = models.ForeignKey(
        ActivityType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activity type"),
    )
    score = models.PositiveIntegerField(_("score"))
    # What caused it ("purchase:12", "activity:7", "visit:42:2026-11-29"): unique, so a retry,
    # a replayed job or a second request never scores one activity twice.
    source_key = models.CharField(_("source"), max_length=100)
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("score entry")
        verbose_name_plural = _("score entries")
        constraints = [
            models.UniqueConstraint(fields=["source_key"], name="score_entry_source_unique"),
            models.CheckConstraint(condition=models.Q(score__gt=0), name="score_entry_positive"),
        ]
        indexes = [models.Index(fields=["member", "occurred_at"], name="score_entry_member_time")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} +{self.score}"


class TierChange(AppendOnlyModel):
    """Every change of a member's tier, and why."""

    class Reason(models.TextChoices):
        UPGRADE = "upgrade", _("Reached with earned points")
        DOWNGRADE = "downgrade", _("Not enough points at the end of the period")
        ENTRY = "entry", _("Starting tier")
        MERGE = "merge", _("Brought from a merged card")

    account = models.ForeignKey(
        PointAccount,
        on_delete=models.PROTECT,
        related_name="tier_changes",
        verbose_name=_("account"),
    )
    from_tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from"),
    )
    to_tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to"),
    )
    reason = models.CharField(_("why"), max_length=16, choices=Reason.choices)
    qualifying_points = models.BigIntegerField(_("qualifying points"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-created_at", "-pk"]


class JobWatermark(models.Model):
    """How far a periodic job got, so the next run starts where the last one ended."""

    name = models.CharField(max_length=64, unique=True)
    reached_at = models.DateTimeField()


class MemberImport(models.Model):
    """One upload of the member import by a manager in admin, and how far its run got.

    The files are kept in `LOYALTY_IMPORT_DIR/<directory>/` (never served to the web); the run is
    an outbox job (`points.member_import_run`) that calls the same service as
    `manage.py import_members` and writes its progress here after every batch.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, db_index=True)
    # PROTECT: staff users are deactivated, never deleted (loyalty_site/admin.py).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    directory = models.CharField(_("folder"), max_length=64, unique=True, editable=False)
    members_file_name = models.CharField(_("members file"), max_length=255)
    purchases_file_name = models.CharField(_("purchases file"), max_length=255, blank=True)
    is_dry_run = models.BooleanField(_("dry run"), default=True)
    keep_card_numbers = models.BooleanField(_("keep legacy card numbers"), default=False)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    stage = models.CharField(_("file being read"), max_length=16, blank=True)
    rows_expected = models.PositiveIntegerField(_("rows in the files"), default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    # Per file ("members", "purchases"): read, created, updated, unchanged, rejected,
    # opening_points, as `points.services.imports.ImportReport` counts them.
    totals = models.JSONField(_("totals"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # Written after every batch: a run whose heartbeat stopped may be taken over.
    progress_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Set when the retention purge deleted the files (personal data): no download any more.
    files_removed_at = models.DateTimeField(_("files removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
        ordering = ["-created_at"]
        permissions = [("import_members", _("Can import members from a file"))]

    def __str__(self) -> str:
        return self.members_file_name

    @property
    def percent_done(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.rows_expected:
            return 0
        return min(99, self.rows_read * 100 // self.rows_expected)

    @property
    def rejected(self) -> int:
        return sum(int(counts.get("rejected", 0)) for counts in self.totals.values())
