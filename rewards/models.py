"""Tables of the rewards app: the catalogue, issued codes and their uses, store credit and its
ledger, and the combining rules. Just past 400 lines, kept whole so the constraints that guard
codes, stock and credit stand side by side (docs/architecture.md lists them)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Member, TranslatedNameMixin
from core.append_only import AppendOnlyModel
from core.singleton import CachedSingleton
from points.models import MONEY, PointsEntry, Purchase, Refund, Tier


class RewardKind(models.TextChoices):
    PERCENTAGE_DISCOUNT = "percentage_discount", _("Percentage discount")
    FIXED_DISCOUNT = "fixed_discount", _("Fixed amount discount")
    STORE_CREDIT = "store_credit", _("Store credit")
    FREE_PRODUCT = "free_product", _("Free product")


class Stacking(models.TextChoices):
    EXCLUSIVE = "exclusive", _("Exclusive: nothing else on the same purchase")
    ONE_PER_GROUP = "one_per_group", _("One per group: combinable, but one from its group")
    COMBINABLE = "combinable", _("Combinable with other codes")


class RewardQuerySet(models.QuerySet):
    def on_offer(self, now=None):
        """Active and inside the active window (possibly sold out)."""
        now = now or timezone.now()
        return (
            self.filter(is_active=True)
            .filter(models.Q(available_from__isnull=True) | models.Q(available_from__lte=now))
            .filter(models.Q(available_until__isnull=True) | models.Q(available_until__gt=now))
        )

    def available(self, now=None):
        """On offer and not sold out."""
        return self.on_offer(now).exclude(stock=0)


class Reward(TranslatedNameMixin, models.Model):
    """Something a member can buy with points or be given: a discount code, credit, a product."""

    Kind = RewardKind

    name_nl = models.CharField(_("name (Dutch)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=RewardKind.choices)
    value = models.DecimalField(
        _("value"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Percentage discount: the percentage (10 = 10% off). Fixed discount and store credit: "
            "the amount in euros. Free product: the most the product may cost (0 = any price)."
        ),
        **MONEY,
    )
    minimum_spend = models.DecimalField(
        _("minimum spend"),
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The code only works on a purchase of at least this amount."),
        **MONEY,
    )
    sku = models.CharField(
        _("product SKU"),
        max_length=64,
        blank=True,
        help_text=_("Free product only: which product."),
    )
    points_cost = models.PositiveIntegerField(
        _("points cost"),
        default=0,
        help_text=_("0 = not for sale: only given by tiers, campaigns or staff."),
    )
    minimum_tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("minimum tier"),
        help_text=_("Exclusive to members of this tier and higher. Empty = everyone."),
    )
    validity_days = models.PositiveIntegerField(
        _("valid for (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("A code expires this many days after it was issued."),
    )
    stock = models.PositiveIntegerField(
        _("stock"),
        null=True,
        blank=True,
        help_text=_("How many can still be issued. Empty = unlimited."),
    )
    per_member_limit = models.PositiveIntegerField(
        _("per member"),
        null=True,
        blank=True,
        help_text=_("How often one member can buy this with points. Empty = no limit."),
    )
    available_from = models.DateTimeField(_("available from"), null=True, blank=True)
    available_until = models.DateTimeField(_("available until"), null=True, blank=True)
    stacking = models.CharField(
        _("combining"),
        max_length=16,
        choices=Stacking.choices,
        default=Stacking.EXCLUSIVE,
        help_text=_(
            "Exclusive: the code cannot be combined with any other code. One per group: it can be "
            "combined, but never with another code of the same group (e.g. two percentage "
            "discounts). Combinable: it goes with anything, within the maximum number of codes "
            "per purchase."
        ),
    )
    stacking_group = models.CharField(
        _("group"),
        max_length=50,
        blank=True,
        help_text=_("For 'one per group': a name shared by codes that exclude each other."),
    )
    gift_for_tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gift_rewards",
        verbose_name=_("gift on reaching tier"),
        help_text=_("Members reaching this tier get this reward for free."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = RewardQuerySet.as_manager()

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points_cost", "pk"]
        permissions = [("grant_reward", _("Can grant rewards and store credit with a reason"))]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="percentage_discount") | models.Q(value__lte=100),
                name="reward_percentage_at_most_100",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="free_product") | ~models.Q(sku=""),
                name="reward_free_product_has_sku",
            ),
            models.CheckConstraint(
                condition=~models.Q(stacking="one_per_group") | ~models.Q(stacking_group=""),
                name="reward_group_named",
            ),
        ]

    def __str__(self) -> str:
        return self.translated("name")

    def clean(self) -> None:
        errors = {}
        if self.kind == RewardKind.PERCENTAGE_DISCOUNT and self.value and self.value > 100:
            errors["value"] = _("A percentage cannot be more than 100.")
        if self.kind != RewardKind.FREE_PRODUCT and self.value is not None and self.value <= 0:
            errors["value"] = _("Enter a value above zero.")
        if self.kind == RewardKind.FREE_PRODUCT and not self.sku:
            errors["sku"] = _("Say which product is free.")
        if self.stacking == Stacking.ONE_PER_GROUP and not self.stacking_group:
            errors["stacking_group"] = _("Name the group this code belongs to.")
        if (
            self.available_from
            and self.available_until
            and self.available_until <= self.available_from
        ):
            errors["available_until"] = _("The end must come after the start.")
        if errors:
            raise ValidationError(errors)

    @property
    def description(self) -> str:
        return self.translated("description")

    @property
    def gives_code(self) -> bool:
        return self.kind != RewardKind.STORE_CREDIT


class IssuedReward(models.Model):
    """A reward in a member's hands: a code for the till, or credit already added."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Ready to use")
        USED = "used", _("Used")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    class Source(models.TextChoices):
        POINTS = "points", _("Bought with points")
        TIER_GIFT = "tier_gift", _("Tier gift")
        CAMPAIGN = "campaign", _("Campaign")
        STAFF = "staff", _("Staff")

    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="issued", verbose_name=_("reward")
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="issued_rewards", verbose_name=_("member")
    )
    # Upper case, from an alphabet without 0/O/1/I; NULL for store credit (no code to type).
    code = models.CharField(_("code"), max_length=16, unique=True, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ISSUED
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # Kept as issued: editing the reward later does not change codes already out.
    value = models.DecimalField(_("value"), **MONEY)
    minimum_spend = models.DecimalField(_("minimum spend"), default=Decimal("0.00"), **MONEY)
    points_spent = models.PositiveIntegerField(_("points spent"), default=0)
    points_entry = models.ForeignKey(
        PointsEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("points entry"),
    )
    source_reference = models.CharField(
        _("source reference"), max_length=100, blank=True, db_index=True
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_in_purchase = models.ForeignKey(
        Purchase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("used in purchase"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.TextField(_("revoke reason"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    # The euro budget that paid for this code (#19): its owner (`automation:<id>`; empty when
    # no budget did), the budget rows it was charged to ("total" and/or a local day, space
    # separated) and what it counts for in them now: the estimate taken when it was issued,
    # the real discount once used, 0 once it expired or was revoked
    # (`rewards.budgets.codes_budget_settle`). Setting a target, never adding, keeps a replay
    # from settling twice.
    budget_owner = models.CharField(_("paid by budget"), max_length=32, blank=True)
    budget_periods = models.CharField(_("budget periods"), max_length=24, blank=True)
    budget_cost = models.DecimalField(_("budget cost (€)"), default=Decimal("0.00"), **MONEY)

    class Meta:
        verbose_name = _("issued reward")
        verbose_name_plural = _("issued rewards")
        ordering = ["-issued_at", "-pk"]
        permissions = [("revoke_code", _("Can revoke codes with a reason"))]
        indexes = [
            models.Index(fields=["member", "status"], name="issued_member_status"),
            models.Index(fields=["reward", "member"], name="issued_reward_member"),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status="issued"),
                name="issued_expiring",
            ),
        ]

    def __str__(self) -> str:
        return self.code or f"{self.reward} ({self.get_source_display()})"

    @property
    def display_code(self) -> str:
        """Grouped in fours for reading aloud: ABCD-EFGH-JKLM."""
        if not self.code:
            return ""
        return "-".join(self.code[index : index + 4] for index in range(0, len(self.code), 4))

    def effective_status(self, now=None) -> str:
        """`issued` turns into `expired` the moment the date passes, before any job runs."""
        now = now or timezone.now()
        if self.status == self.Status.ISSUED and self.expires_at <= now:
            return self.Status.EXPIRED
        return self.status

    @property
    def effective_status_label(self) -> str:
        return str(self.Status(self.effective_status()).label)


class CodeUse(models.Model):
    """A code applied to a purchase. At most one live use per code, enforced by the database;
    a full refund can restore the code (`restored_at`), after which it may be used again."""

    issued_reward = models.ForeignKey(
        IssuedReward, on_delete=models.PROTECT, related_name="uses", verbose_name=_("code")
    )
    purchase = models.ForeignKey(
        Purchase, on_delete=models.PROTECT, related_name="code_uses", verbose_name=_("purchase")
    )
    discount = models.DecimalField(_("discount"), **MONEY)
    used_at = models.DateTimeField(_("used at"), default=timezone.now)
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)

    class Meta:
        verbose_name = _("code use")
        verbose_name_plural = _("code uses")
        constraints = [
            models.UniqueConstraint(
                fields=["issued_reward"],
                condition=models.Q(restored_at__isnull=True),
                name="code_used_at_most_once",
            )
        ]


class StoreCreditAccount(models.Model):
    member = models.OneToOneField(
        Member, on_delete=models.PROTECT, related_name="store_credit", verbose_name=_("member")
    )
    balance = models.DecimalField(_("balance"), default=Decimal("0.00"), **MONEY)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("store credit account")
        verbose_name_plural = _("store credit accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="store_credit_never_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.card_number}: €{self.balance}"


class StoreCreditEntry(AppendOnlyModel):
    """One line of the store credit ledger. Append-only, like the points ledger."""

    class Kind(models.TextChoices):
        REWARD = "reward", _("Reward")
        GRANT = "grant", _("Granted by staff")
        SPEND = "spend", _("Spent on a purchase")
        REFUND = "refund", _("Returned with a refund")
        ADJUSTMENT = "adjustment", _("Staff correction")
        REVOKED = "revoked", _("Reward revoked")
        # A merge of two members: out of the duplicate's ledger, into the survivor's.
        MERGE_OUT = "merge_out", _("Moved to another card (merge)")
        MERGE_IN = "merge_in", _("Brought from a merged card")

    account = models.ForeignKey(
        StoreCreditAccount,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    purchase = models.ForeignKey(
        Purchase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("purchase"),
    )
    refund = models.ForeignKey(
        Refund,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refund"),
    )
    issued_reward = models.ForeignKey(
        IssuedReward,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued reward"),
    )
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff user"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("store credit entry")
        verbose_name_plural = _("store credit entries")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount=0), name="store_credit_entry_not_zero"
            ),
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="store_credit_entry_never_negative"
            ),
        ]
        indexes = [models.Index(fields=["account", "-id"], name="credit_entry_account_recent")]


class StackingPolicy(CachedSingleton):
    """How codes combine on one purchase. One row, edited by marketing in admin."""

    max_codes_per_purchase = models.PositiveSmallIntegerField(
        _("codes per purchase"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_(
            "The most discount codes a customer can use on one purchase. With 1, customers "
            "can never combine codes, whatever each code says."
        ),
    )
    store_credit_with_codes = models.BooleanField(
        _("store credit together with codes"),
        default=True,
        help_text=_(
            "Whether customers may pay with store credit on a purchase that also uses a "
            "discount code."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    CACHE_KEY = "rewards:stacking-policy"

    class Meta:
        verbose_name = _("combining rules")
        verbose_name_plural = _("combining rules")

    def __str__(self) -> str:
        return str(_("Combining rules"))
