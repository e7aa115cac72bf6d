"""Kept for old migrations, which import the migration operation from here: the append-only
machinery lives in `core.append_only`."""

from core.append_only import ProtectAppendOnly

__all__ = ["ProtectAppendOnly"]
