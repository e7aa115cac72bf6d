"""Reads that may come from a streaming read replica, and the ones that must not.

With `DATABASE_REPLICA_URL` set, the settings add a `replica` database, this router and
`PrimaryPinMiddleware`. Nothing reads from the replica unless it asks to:

- `reads_from_replica` (a view decorator) and `replica_reads()` (a block) route the ORM reads
  inside them to the replica: the KPI dashboard and its exports, segment sizes and exports, the
  portal's history pages. Everything else — the till API, every service, every transaction —
  reads the primary.
- `reporting_db()` names the database for a queryset that is evaluated later (a streamed CSV
  export is read after the view has returned).

A replica is a little behind the primary (milliseconds, more under load). Reads that must see a
write just made stay on the primary:

- inside a transaction (`atomic`) on the primary;
- in a request after which the same browser changed something: a request with an unsafe method
  (POST, …) that succeeds sets a short-lived cookie, and while it lasts
  (`REPLICA_PIN_SECONDS`) that browser's reads are pinned to the primary. A member who redeems a
  reward sees it in their history at once; staff who adjust points see it on the dashboard.

Without a replica every alias is `default` and all of this does nothing. docs/scaling.md says
how to run one.
"""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PIN_COOKIE = "loyalty_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_replica_wanted: ContextVar[bool] = ContextVar("replica_wanted", default=False)
_pinned: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def reporting_db() -> str:
    """The database for reporting reads made now: the replica unless this request is pinned to
    the primary or a transaction is open on it."""
    if not replica_configured() or _pinned.get():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


@contextmanager
def replica_reads() -> Iterator[None]:
    token = _replica_wanted.set(True)
    try:
        yield
    finally:
        _replica_wanted.reset(token)


@contextmanager
def pinned_to_primary() -> Iterator[None]:
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


def reads_from_replica(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Sends a read to the replica only inside `replica_reads()`; writes, migrations and every
    other read go to the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        if _replica_wanted.get():
            return reporting_db()
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


class PrimaryPinMiddleware:
    """Pins a browser's reads to the primary for `REPLICA_PIN_SECONDS` after it changed
    something, and for the whole of any request with an unsafe method."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        unsafe = request.method not in SAFE_METHODS
        if not (unsafe or PIN_COOKIE in request.COOKIES):
            return self.get_response(request)
        with pinned_to_primary():
            response = self.get_response(request)
        if unsafe and response.status_code < 400:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
