"""Two-level cache for configuration read on every till call (programme settings, tiers,
earning rules, campaigns): a few seconds in the process, then the shared cache (Redis in
production), then the database.

Saving a configuration object forgets it in this process and in the shared cache at once;
other processes see the change within LOCAL_TTL seconds. That is the trade: no cache round trip
per request for data staff change a few times a year.

Shared entries are keyed by the identity of the database they were read from
(`database_identity`), so a database recreated or restored behind the same Redis, or another one
sharing it, never reads rows cached for a different database (a tier id that does not exist
there would break a foreign key at commit). Should a cached row vanish anyway (deleted by hand in
SQL), `forget_all_config` drops every entry; the site calls it when a foreign key fails.
"""

import hashlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.backends.signals import connection_created

LOCAL_TTL = 3.0
SHARED_TTL = 300

_local: dict[str, tuple[float, Any]] = {}
_used_keys: set[str] = set()
_identity_lock = threading.Lock()
_identity: str | None = None


def _read_identity() -> str:
    """What tells this database apart from every other, now and after a restore.

    The random id row (written by a migration, so a recreated database gets a new one) and, on
    PostgreSQL, the database's oid (a new one for a dropped and recreated database), the identity
    table's oid (a logical restore recreates the table) and the server's start time (a physical
    restore needs a restart). On SQLite, the file and its inode.
    """
    from .models import DatabaseIdentity

    row_id = DatabaseIdentity.objects.filter(pk=1).values_list("uuid", flat=True).first()
    if row_id is None:  # tables flushed (tests) or truncated by hand: a new database
        DatabaseIdentity.objects.bulk_create([DatabaseIdentity(pk=1)], ignore_conflicts=True)
        row_id = DatabaseIdentity.objects.filter(pk=1).values_list("uuid", flat=True).first()
    parts = [str(row_id), connection.vendor]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT d.oid, %s::regclass::oid, pg_postmaster_start_time()"
                " FROM pg_database d WHERE d.datname = current_database()",
                [DatabaseIdentity._meta.db_table],
            )
            parts.extend(str(value) for value in cursor.fetchone())
    else:
        name = str(connection.settings_dict["NAME"])
        parts.append(name)
        try:
            parts.append(str(os.stat(name).st_ino))
        except OSError:  # in-memory databases
            pass
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def database_identity() -> str:
    """Read once per database connection: a reconnect (after a restore, say) reads it again."""
    global _identity
    connection.ensure_connection()  # a new connection forgets the identity it replaces
    identity = _identity
    if identity is None:
        identity = _read_identity()
        with _identity_lock:
            if identity != _identity:
                _local.clear()  # entries read from another database
            _identity = identity
    return identity


def _forget_identity(sender, connection, **kwargs) -> None:
    global _identity
    if connection.alias == DEFAULT_DB_ALIAS:
        _identity = None


connection_created.connect(_forget_identity, dispatch_uid="config_cache_forget_identity")


def _shared_key(key: str) -> str:
    return f"config:{database_identity()}:{key}"


def cached_config(key: str, loader: Callable[[], Any]) -> Any:
    shared_key = _shared_key(key)  # first: a change of database clears the process level
    now = time.monotonic()
    hit = _local.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    _used_keys.add(key)
    value = cache.get(shared_key)
    if value is None:
        value = loader()
        cache.set(shared_key, value, SHARED_TTL)
    _local[key] = (now + LOCAL_TTL, value)
    return value


def forget_config(key: str) -> None:
    _local.pop(key, None)
    cache.delete(_shared_key(key))


def forget_all_config() -> None:
    """Drops every configuration entry, here and (for this database) in the shared cache."""
    _local.clear()
    keys = list(_used_keys)
    if keys:
        cache.delete_many([_shared_key(key) for key in keys])


def local_memo(key: str, loader: Callable[[], Any], *, ttl: float) -> Any:
    """Process-level only (for objects not worth a shared-cache round trip); None is not kept."""
    database_identity()  # a change of database clears the process level
    now = time.monotonic()
    hit = _local.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = loader()
    if value is not None:
        _local[key] = (now + ttl, value)
    return value


def forget_local(key: str) -> None:
    _local.pop(key, None)


def forget_all_local() -> None:
    """Tests clear the shared cache between tests; this clears the process level with it."""
    _local.clear()
