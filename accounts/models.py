import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.append_only import AppendOnlyModel

from .cards import CARD_NUMBER_LENGTH


class TranslatedNameMixin:
    """Models with `<field>_nl` and `<field>_en` columns; Dutch is the fallback."""

    def translated(self, field: str) -> str:
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        value = getattr(self, f"{field}_{language}", "") or ""
        return value or getattr(self, f"{field}_nl", "")


class Store(models.Model):
    class Channel(models.TextChoices):
        OFFLINE = "offline", _("Offline shop")
        ONLINE = "online", _("Online shop")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("Short code the tills and reports use, e.g. AMS01."),
    )
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.OFFLINE
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Member(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        BLOCKED = "blocked", _("Blocked")

    card_number = models.CharField(
        _("card number"), max_length=CARD_NUMBER_LENGTH, unique=True, editable=False
    )
    # NULL rather than "" when absent, so the unique constraints only bind given values.
    email = models.EmailField(_("e-mail"), null=True, blank=True, unique=True)
    phone = models.CharField(
        _("phone"), max_length=20, null=True, blank=True, unique=True, help_text=_("E.164")
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="nl"
    )
    email_consent_at = models.DateTimeField(_("e-mail consent given at"), null=True, blank=True)
    sms_consent_at = models.DateTimeField(_("SMS consent given at"), null=True, blank=True)
    whatsapp_consent_at = models.DateTimeField(
        _("WhatsApp consent given at"), null=True, blank=True
    )
    preferred_channel = models.CharField(
        _("preferred channel"),
        max_length=16,
        choices=[("email", _("E-mail")), ("sms", _("SMS")), ("whatsapp", _("WhatsApp"))],
        blank=True,
        help_text=_("Messages go here first, when the member consented to it."),
    )
    # What a member shares to bring friends in; unique, readable, generated on enrolment.
    referral_code = models.CharField(
        _("referral code"), max_length=12, unique=True, null=True, blank=True, editable=False
    )
    # The member's sign-in on the portal (no staff rights); created at the first sign-in.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        editable=False,
    )
    referred_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,  # the newcomer stays a member if the referrer is anonymised
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referred by"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now, db_index=True)
    # PROTECT: a store with members is deactivated, never deleted, or its history would lie.
    enrolled_store = models.ForeignKey(
        Store,
        verbose_name=_("enrolment store"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolled_members",
    )
    # The member's key in the programme it was imported from: re-running an import finds the
    # member by it (NULL for members enrolled here, so uniqueness binds imported ones only).
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        permissions = [
            ("block_member", _("Can block and unblock members")),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{self.card_number} {name}".strip()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class ConsentChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


CONSENT_FIELDS: dict[str, str] = {
    ConsentChannel.EMAIL: "email_consent_at",
    ConsentChannel.SMS: "sms_consent_at",
    ConsentChannel.WHATSAPP: "whatsapp_consent_at",
}


class ConsentChange(AppendOnlyModel):
    """Proof of consent: every grant and withdrawal, append-only."""

    class Source(models.TextChoices):
        POS = "pos", _("Till or web shop")
        PORTAL = "portal", _("Member portal")
        STAFF = "staff", _("Staff")
        IMPORT = "import", _("Import")

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="consent_changes", verbose_name=_("member")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=ConsentChannel.choices)
    is_granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        ordering = ["-changed_at", "-pk"]


class CardAlias(models.Model):
    """Another card number that finds a member at the till: a legacy card kept on import
    (it may fail our check digit) or the card of a member merged into this one."""

    class Reason(models.TextChoices):
        LEGACY = "legacy", _("Legacy card (import)")
        MERGED = "merged", _("Card of a merged member")

    # Longer than ours: legacy programmes used other lengths (payment-card lengths are refused).
    number = models.CharField(_("card number"), max_length=32, unique=True)
    # PROTECT: an alias is history of where a card went; it goes only with the member's erasure.
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="card_aliases", verbose_name=_("member")
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("card alias")
        verbose_name_plural = _("card aliases")

    def __str__(self) -> str:
        return self.number


def hash_api_key(raw_key: str) -> str:
    # Keys are 256-bit random secrets, so a fast hash is enough (no dictionary to attack) and
    # keeps authentication to one indexed lookup on the till's hot path.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiScope(models.TextChoices):
    """What a POS API key may do (docs/api.md, "Key scopes")."""

    MEMBERS_READ = "members:read", _("Read members: summary, ledger, rewards")
    MEMBERS_ENROL = "members:enrol", _("Enrol members")
    PURCHASES_WRITE = "purchases:write", _("Record purchases and quotes (earn points)")
    REFUNDS_WRITE = "refunds:write", _("Refund purchases")
    ACTIVITIES_WRITE = "activities:write", _("Award points for activities")
    REWARDS_REDEEM = "rewards:redeem", _("Buy rewards with a member's points")
    CODES_VALIDATE = "codes:validate", _("Check and use reward codes at checkout")
    CODES_READ = "codes:read", _("See members' unused codes in full (otherwise the last 4)")


# What a till needs: everything at the counter, but not other members' codes in full (a member
# shows their code), nor activities (those come from the web shop or the portal).
TILL_SCOPES = (
    ApiScope.MEMBERS_READ,
    ApiScope.MEMBERS_ENROL,
    ApiScope.PURCHASES_WRITE,
    ApiScope.REFUNDS_WRITE,
    ApiScope.REWARDS_REDEEM,
    ApiScope.CODES_VALIDATE,
)


class PosApiKeyQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True, store__is_active=True)


class PosApiKey(models.Model):
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("store")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("E.g. 'Till 3' or 'Web shop'."))
    prefix = models.CharField(
        _("prefix"),
        max_length=16,
        editable=False,
        help_text=_("Start of the key, to recognise it."),
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # ApiScope values. Empty by default: a key may do nothing it was not given
    # (`api_key_create` gives a till's scopes unless told otherwise).
    scopes = models.JSONField(_("scopes"), default=list, blank=True)

    objects = PosApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("POS API key")
        verbose_name_plural = _("POS API keys")
        ordering = ["store", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def may(self, scope: str) -> bool:
        return scope in self.scopes


class StaffAction(AppendOnlyModel):
    """Audit trail of staff actions: who did what to whom, when and why. Never edited."""

    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff user"),
    )
    action = models.CharField(_("action"), max_length=64)
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_actions",
        verbose_name=_("member"),
    )
    reason = models.TextField(_("reason"), blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("staff action")
        verbose_name_plural = _("staff actions")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} by {self.staff_user}"


class LoginToken(models.Model):
    """A one-time sign-in link sent by e-mail. Only the hash is stored."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="login_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "created_at"], name="login_token_member_recent")]


class ClosureRequest(models.Model):
    """A member asked to close their account; staff handle it (anonymise, settle credit)."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="closure_requests", verbose_name=_("member")
    )
    reason = models.TextField(_("reason"), blank=True, max_length=2000)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("request to close an account")
        verbose_name_plural = _("requests to close an account")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(handled_at__isnull=True),
                name="one_open_closure_request_per_member",
            )
        ]
