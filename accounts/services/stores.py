"""Stores and their POS API keys."""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.config_cache import forget_local
from core.errors import InvalidInput

from ..member_tokens import api_key_id_cache_key
from ..models import (
    TILL_SCOPES,
    ApiScope,
    PosApiKey,
    Store,
    hash_api_key,
)

API_KEY_PREFIX = "pos_"


def store_create(*, code: str, name: str, channel: str = Store.Channel.OFFLINE) -> Store:
    code = code.strip()
    if not code or not name.strip():
        raise InvalidInput(_("A store needs a code and a name."), field="code")
    if channel not in Store.Channel.values:
        raise InvalidInput(_("Unknown channel."), field="channel", code="invalid_choice")
    store = Store(code=code, name=name.strip(), channel=channel)
    store.full_clean()
    with transaction.atomic(savepoint=False):
        store.save()
    return store


@dataclass(frozen=True)
class NewApiKey:
    api_key: PosApiKey
    raw_key: str  # shown once, never stored


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    """Known scopes only, each once, in the order of `ApiScope`."""
    wanted = set(scopes)
    unknown = wanted - set(ApiScope.values)
    if unknown:
        raise InvalidInput(
            _("Unknown scope: %(scopes)s. Known: %(known)s.")
            % {"scopes": ", ".join(sorted(unknown)), "known": ", ".join(ApiScope.values)},
            code="invalid_choice",
            field="scopes",
        )
    return [scope for scope in ApiScope.values if scope in wanted]


def api_key_create(
    *,
    store: Store,
    name: str,
    actor: User | None = None,
    scopes: Iterable[str] = TILL_SCOPES,
) -> NewApiKey:
    """A new key for `store`, allowed `scopes` (by default what a till needs)."""
    scopes = _clean_scopes(scopes)
    raw_key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = PosApiKey(
        store=store,
        name=name,
        scopes=scopes,
        prefix=raw_key[: len(API_KEY_PREFIX) + 8],
        key_hash=hash_api_key(raw_key),
        created_by=actor,
    )
    with transaction.atomic(savepoint=False):
        api_key.save()
    return NewApiKey(api_key=api_key, raw_key=raw_key)


def api_key_set_scopes(*, api_key: PosApiKey, scopes: Iterable[str]) -> PosApiKey:
    """Changes what a key may do: at once in this process, within 30 seconds in the others."""
    api_key.scopes = _clean_scopes(scopes)
    with transaction.atomic(savepoint=False):
        PosApiKey.objects.filter(pk=api_key.pk).update(scopes=api_key.scopes)
    forget_local(f"api-key:{api_key.key_hash}")
    forget_local(api_key_id_cache_key(api_key.pk))  # its member tokens
    return api_key


def api_key_revoke(*, api_key: PosApiKey) -> PosApiKey:
    """Revokes at once in this process, within 30 seconds in the others (see authentication)."""
    with transaction.atomic(savepoint=False):
        PosApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
    forget_local(f"api-key:{api_key.key_hash}")
    forget_local(api_key_id_cache_key(api_key.pk))  # its member tokens
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key
