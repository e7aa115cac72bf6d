"""Personal data held by accounts, auth, admin and axes, and how one person's is erased
(see core.personal_data)."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from core.personal_data import Subject, mentioning, not_personal, register, scrub_rows

from .models import (
    CONSENT_FIELDS,
    ClosureRequest,
    ConsentChange,
    LoginToken,
    Member,
    StaffAction,
)


def _erase_member(subject: Subject) -> None:
    Member.objects.filter(pk=subject.member_id).update(
        email=None,
        phone=None,
        first_name="",
        last_name="",
        birth_date=None,
        preferred_channel="",
        referral_code=None,  # nobody can be brought in by an erased member any more
        status=Member.Status.BLOCKED,
        updated_at=timezone.now(),
        **dict.fromkeys(CONSENT_FIELDS.values()),
    )


def _erase_portal_user(subject: Subject) -> None:
    """The member's own sign-in goes entirely (sessions of it sign no one in any more)."""
    users = get_user_model().objects.filter(pk=subject.user_id)
    users.filter(is_staff=False, is_superuser=False).delete()
    # A staff account that was somehow linked keeps existing (its audit trail points at it).
    users.update(email="", first_name="", last_name="", is_active=False)


def _erase_closure_reasons(subject: Subject) -> None:
    ClosureRequest.objects.filter(member_id=subject.member_id).update(reason="")


def _erase_consent_details(subject: Subject) -> None:
    # When and how consent was given stays (proof that messages were lawful); the detail
    # (an address a STOP came from, say) goes.
    changes = ConsentChange.objects.filter(member_id=subject.member_id).exclude(detail="")
    changes.erase_personal(detail="")


def _erase_login_tokens(subject: Subject) -> None:
    LoginToken.objects.filter(member_id=subject.member_id).delete()


def _erase_staff_actions(subject: Subject) -> None:
    """The audit trail stays (who did what, when), with the person's values replaced."""
    fields = ["reason", "before", "after"]
    about = Q(member_id=subject.member_id) | mentioning(subject, fields)
    scrub_rows(StaffAction.objects.filter(about), fields, subject)


def _erase_admin_log(subject: Subject) -> None:
    fields = ["object_repr", "change_message"]
    about = Q(content_type=ContentType.objects.get_for_model(Member), object_id=subject.member_id)
    if subject.user_id:
        user_type = ContentType.objects.get_for_model(get_user_model())
        about |= Q(content_type=user_type, object_id=subject.user_id)
    scrub_rows(LogEntry.objects.filter(about | mentioning(subject, fields)), fields, subject)


def _axes_eraser(model):
    def erase(subject: Subject) -> None:
        names = [name for name in (subject.username, subject.email) if name]
        model.objects.filter(username__in=names).delete()

    return erase


register(
    "accounts.Member",
    ["email", "phone", "first_name", "last_name", "birth_date", "referral_code"]
    + list(CONSENT_FIELDS.values()),
    _erase_member,
)
register("auth.User", ["username", "email", "first_name", "last_name"], _erase_portal_user)
register("accounts.ClosureRequest", ["reason"], _erase_closure_reasons)
register("accounts.ConsentChange", ["detail"], _erase_consent_details)
register("accounts.LoginToken", ["token_hash"], _erase_login_tokens)
register("accounts.StaffAction", ["reason", "before", "after"], _erase_staff_actions)
register("admin.LogEntry", ["object_repr", "change_message"], _erase_admin_log)
_AXES_COLUMNS = ["username", "ip_address", "user_agent", "http_accept", "path_info"]
register(
    "axes.AccessAttempt", [*_AXES_COLUMNS, "get_data", "post_data"], _axes_eraser(AccessAttempt)
)
register("axes.AccessLog", _AXES_COLUMNS, _axes_eraser(AccessLog))
register("axes.AccessFailureLog", _AXES_COLUMNS, _axes_eraser(AccessFailureLog))

not_personal("accounts.Store", name="the shop's name")
not_personal(
    "accounts.Branding",
    programme_name="the programme's name",
    sender_name="the shop's name on its e-mails",
    sender_email="the shop's sender address",
    support_text_nl="the shop's customer-service text",
    support_text_en="the shop's customer-service text",
)
not_personal("accounts.CardAlias", reason="why a number is an alias: legacy card or merged")
not_personal("accounts.PosApiKey", name="a till's name, e.g. 'Till 3'")
not_personal(
    "accounts.Erasure", reason="why staff erased; the person's values are replaced when written"
)
not_personal("auth.Group", name="a staff role")
not_personal("auth.Permission", name="a permission")
not_personal(
    "sessions.Session",
    session_data="a signed session: the user's id, no contact data; erasing deletes that user, "
    "so the session signs no one in, and expired sessions are deleted nightly",
)
