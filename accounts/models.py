"""Members, stores and till keys, consent and its proof, sign-in links, the staff audit trail,
branding, erasures and card aliases. Longer than 400 lines because these are many small models
that refer to each other; campaigns/models/ shows the split by subdomain to follow if it grows.
"""

import hashlib

from django.conf import settings
from django.contrib.admin import display as admin_display
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.append_only import AppendOnlyModel
from core.config_cache import cached_config
from core.singleton import CachedSingleton

from .cards import CARD_NUMBER_LENGTH

DEFAULT_PRIMARY_COLOUR = "#0F5132"


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
        # Merged into another member (`merged_into`): its card number finds that member now.
        MERGED = "merged", _("Merged")

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
        verbose_name=_("portal user"),
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
    # Set once, by `member_merge`; PROTECT: the survivor holds the merged member's history.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_members",
        editable=False,
        verbose_name=_("merged into"),
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
            ("erase_member", _("Can erase a member's personal data")),
            ("merge_member", _("Can merge a duplicate member into another")),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{self.card_number} {name}".strip()

    @property
    @admin_display(description=_("name"))
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
    """Proof of consent: every grant and withdrawal, append-only: when, how and by whom.

    `source` is how it was given or withdrawn; `store` the till or web shop where that
    happened; `changed_by` the staff user who did it (empty when the member did it themselves:
    portal, unsubscribe link, STOP reply); `detail` what else proves it (e.g. the number a STOP
    came from), the one personal column, which erasure blanks."""

    class Source(models.TextChoices):
        POS = "pos", _("Till or web shop")
        PORTAL = "portal", _("Member portal")
        STAFF = "staff", _("Staff")
        IMPORT = "import", _("Import")
        UNSUBSCRIBE_LINK = "unsubscribe_link", _("Unsubscribe link in a message")
        STOP_REPLY = "stop_reply", _("STOP reply to a message")
        ERASURE = "erasure", _("Erasure of the member's data")
        MERGE = "merge", _("Merge of two members")

    erasable_columns = ("detail",)

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="consent_changes", verbose_name=_("member")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=ConsentChannel.choices)
    is_granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,  # stores are deactivated, never deleted
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # the proof keeps who gave it, like the staff audit trail
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        ordering = ["-changed_at", "-pk"]

    @property
    def changed_by_label(self) -> str:
        """Who changed it, as the proof states it."""
        if self.changed_by_id:
            return str(_("Staff: %(user)s") % {"user": self.changed_by})
        if self.source == self.Source.POS and self.store_id:
            return str(_("Member, at %(store)s") % {"store": self.store.name})
        if self.source in (self.Source.ERASURE, self.Source.IMPORT, self.Source.MERGE):
            return str(_("System"))
        return str(_("Member"))


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
    MEMBER_TOKENS = (
        "members:tokens",
        _("Give the web shop's front end short-lived member tokens (docs/member-api.md)"),
    )


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
    key_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("key hash")
    )
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
    """Audit trail of staff actions: who did what to whom, when and why. Never edited, except
    that erasing a member replaces their personal values in the reason and the before/after."""

    erasable_columns = ("reason", "before", "after")

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


class Branding(TranslatedNameMixin, CachedSingleton):
    """How the programme presents itself: name, logo, colour, sender and support text, used by
    the member portal and every message. One row, edited in admin with the programme settings.

    Here, in the lowest app that sends messages (sign-in links), so every app can read it. The
    logo is kept in the row (a few hundred kB at most), not in a media folder, so every server
    can serve it without shared storage.
    """

    programme_name = models.CharField(
        _("programme name"),
        max_length=60,
        blank=True,
        help_text=_(
            "Shown in the portal's header and title and in every message, e.g. 'Koffieclub'. "
            "Empty = 'Loyalty programme' in the member's language."
        ),
    )
    logo = models.BinaryField(_("logo"), blank=True, default=b"", editable=False)
    logo_content_type = models.CharField(
        _("logo file type"), max_length=32, blank=True, editable=False
    )
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        default=DEFAULT_PRIMARY_COLOUR,
        validators=[RegexValidator(r"^#[0-9A-Fa-f]{6}$", _("Use a colour like #0F5132."))],
        help_text=_(
            "The portal's header, buttons and links, e.g. #0F5132. Text on it is white or black, "
            "whichever reads better; links are darkened where needed to stay readable."
        ),
    )
    sender_name = models.CharField(
        _("sender name"),
        max_length=60,
        blank=True,
        help_text=_("The name e-mails come from. Empty = the programme name."),
    )
    sender_email = models.EmailField(
        _("sender address"),
        blank=True,
        help_text=_(
            "The address e-mails come from, e.g. klantenservice@yourshop.nl; your mail "
            "provider must be allowed to send for its domain. Empty = the server's default."
        ),
    )
    support_text_nl = models.TextField(
        _("support text (Dutch)"),
        max_length=300,
        blank=True,
        help_text=_("Shown at the foot of every portal page, e.g. how to reach customer service."),
    )
    support_text_en = models.TextField(_("support text (English)"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    CACHE_KEY = "accounts:branding"

    class Meta:
        verbose_name = _("branding")
        verbose_name_plural = _("branding")

    def __str__(self) -> str:
        return str(_("Branding"))

    @classmethod
    def current(cls) -> "Branding":
        # Without the logo's bytes: they are read only by the logo's own address.
        return cached_config(
            cls.CACHE_KEY, lambda: cls.objects.defer("logo").get_or_create(pk=1)[0]
        )

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_content_type)


class Erasure(AppendOnlyModel):
    """Audit of an erasure (GDPR art. 17): who, when, why and how it was asked; never what was
    erased. One per member: erasing again changes nothing and records nothing."""

    class Via(models.TextChoices):
        COMMAND = "command", _("Command line")
        STAFF = "staff", _("Staff, on the member page")
        CLOSURE_REQUEST = "closure_request", _("The member's request to close the account")
        RETENTION = "retention", _("Retention period passed")

    # PROTECT: the anonymous member row stays, with its bookkeeping.
    member = models.OneToOneField(
        Member, on_delete=models.PROTECT, related_name="erasure", verbose_name=_("member")
    )
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erased by"),
        help_text=_("Empty when the command line or the retention job erased it."),
    )
    via = models.CharField(_("how"), max_length=16, choices=Via.choices)
    reason = models.TextField(_("reason"))
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"{self.member.card_number} ({self.erased_at:%Y-%m-%d})"
