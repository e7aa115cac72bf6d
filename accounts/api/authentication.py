from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.member_tokens import member_token_read
from accounts.models import PosApiKey, hash_api_key
from core.config_cache import local_memo
from core.queries import one_or_none

# Writing last_used_at on every request would add a write to every till call; a minute's
# precision is plenty to see which keys are alive.
LAST_USED_PRECISION = timedelta(minutes=1)
# Keys are looked up once per process per 30 seconds: revoking a key (or deactivating its store)
# takes effect in every process within that time, at once in the one that revoked it.
KEY_CACHE_SECONDS = 30


def api_key_cache_key(key_hash: str) -> str:
    return f"api-key:{key_hash}"


def find_api_key(key_hash: str) -> PosApiKey | None:
    return local_memo(
        api_key_cache_key(key_hash),
        lambda: one_or_none(
            PosApiKey.objects.usable().select_related("store").filter(key_hash=key_hash)
        ),
        ttl=KEY_CACHE_SECONDS,
    )


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>`. The key acts for its store; `request.auth` is the key."""

    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _space, raw_key = header.partition(" ")
        if keyword != self.keyword or not raw_key.strip():
            raise exceptions.AuthenticationFailed(
                _("Use the header 'Authorization: Api-Key <key>'.")
            )
        api_key = find_api_key(hash_api_key(raw_key.strip()))
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_PRECISION:
            PosApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
        return (None, api_key)

    def authenticate_header(self, request):
        return self.keyword


class MemberTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <member token>` (accounts.member_tokens): the member routes act for
    that one member; `request.auth` is the `MemberToken`. A till's key is not accepted here, nor
    a member token on the tills' routes."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _space, token = header.partition(" ")
        if keyword != self.keyword or not token.strip():
            raise exceptions.AuthenticationFailed(
                _("Use the header 'Authorization: Bearer <member token>'.")
            )
        return (None, member_token_read(token.strip()))

    def authenticate_header(self, request):
        return self.keyword


from . import schema  # noqa: E402, F401  (registers the OpenAPI description of these schemes)
