"""Member tokens: what the web shop's front end shows a member with (docs/member-api.md).

The shop's server, with a key that has the scope `members:tokens`, exchanges a card number or
an e-mail address it verified for a token; the shop's page sends it as `Authorization: Bearer
<token>` to the member routes (`/api/v1/me/…`), which act for that member only.

A token is signed, not stored: `TimestampSigner` over the member's and the key's ids, with a
salt of its own (no other signed value of the site is a token). It lasts `MEMBER_TOKEN_SECONDS`
(15 minutes by default) and is checked again on every request: it stops working at once when
the member is blocked or erased (erasure blocks), when the key is revoked or loses the scope, or
when the store is deactivated (within the key cache's 30 seconds in other processes).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.config_cache import local_memo
from core.errors import ApplicationError, MemberBlocked
from core.queries import one_or_none

from .models import ApiScope, Member, PosApiKey, Store

SALT = "accounts.member-token"


class MemberTokenExpired(ApplicationError):
    status_code = 401
    code = "token_expired"
    default_message = _("The member token has expired: ask the shop for a new one.")


class MemberTokenInvalid(ApplicationError):
    status_code = 401
    code = "authentication_failed"
    default_message = _("The member token is not valid (or no longer).")


@dataclass(frozen=True)
class MemberToken:
    """A member token: who it acts for, the key (and so the store) that asked for it, and
    when it stops working."""

    token: str
    member: Member
    api_key: PosApiKey
    expires_at: datetime.datetime

    @property
    def store(self) -> Store:
        return self.api_key.store


def lifetime() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.MEMBER_TOKEN_SECONDS)


def member_token_issue(*, member: Member, api_key: PosApiKey) -> MemberToken:
    """A new token for `member`, issued to `api_key`. A blocked member gets none (422)."""
    if not member.is_active:
        raise MemberBlocked()
    token = signing.TimestampSigner(salt=SALT).sign_object({"m": member.pk, "k": api_key.pk})
    return MemberToken(
        token=token, member=member, api_key=api_key, expires_at=timezone.now() + lifetime()
    )


def api_key_id_cache_key(key_id: int) -> str:
    return f"api-key-id:{key_id}"


def _usable_key(key_id: int) -> PosApiKey | None:
    # Cached like the tills' keys (accounts.api.authentication): revoking a key, or taking
    # its scope, stops its tokens at once in this process, within 30 seconds in the others.
    return local_memo(
        api_key_id_cache_key(key_id),
        lambda: one_or_none(PosApiKey.objects.usable().select_related("store").filter(pk=key_id)),
        ttl=30,
    )


def member_token_read(token: str) -> MemberToken:
    """The token's member and key, or `MemberTokenExpired` / `MemberTokenInvalid` (401): a
    forged or mangled token, a blocked or erased member, a revoked key or one without the
    scope `members:tokens`."""
    try:
        payload, signed_at = _unsign(token)
    except signing.SignatureExpired as error:
        raise MemberTokenExpired() from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise MemberTokenInvalid() from error
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(name), int) for name in ("m", "k")
    ):
        raise MemberTokenInvalid()
    api_key = _usable_key(payload["k"])
    if api_key is None or not api_key.may(ApiScope.MEMBER_TOKENS):
        raise MemberTokenInvalid()
    member = one_or_none(
        Member.objects.select_related("point_account__tier").filter(
            pk=payload["m"], status=Member.Status.ACTIVE
        )
    )
    if member is None:
        raise MemberTokenInvalid()
    return MemberToken(
        token=token, member=member, api_key=api_key, expires_at=signed_at + lifetime()
    )


def _unsign(token: str) -> tuple[object, datetime.datetime]:
    signer = signing.TimestampSigner(salt=SALT)
    # Checks the signature and the age; the value is read again for its time of signing.
    payload = signer.unsign_object(token, max_age=lifetime())
    stamp = signing.Signer.unsign(signer, token).rsplit(signer.sep, 1)[1]
    signed_at = datetime.datetime.fromtimestamp(signing.b62_decode(stamp), tz=datetime.UTC)
    return payload, signed_at
