from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from accounts.member_tokens import MemberToken
from accounts.models import PosApiKey
from core.errors import Forbidden


class IsPosClient(BasePermission):
    """A request authenticated with a store's POS API key."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, PosApiKey)


class IsMemberToken(BasePermission):
    """A request authenticated with a member token (the web shop's front end)."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, MemberToken)


class ScopeRequired(Forbidden):
    code = "scope_required"


def require_scope(request, scope: str) -> None:
    """Refuses (403 `scope_required`, naming the scope) a key that was not given `scope`."""
    api_key = request.auth
    if isinstance(api_key, PosApiKey) and not api_key.may(scope):
        raise ScopeRequired(
            _("This API key may not do this: it needs the scope %(scope)s.") % {"scope": scope},
            extra={"scope": scope},
        )


class HasScope(BasePermission):
    """The view's `required_scope` (every POS API view states one)."""

    def has_permission(self, request, view) -> bool:
        scope = getattr(view, "required_scope", None)
        if scope is not None:
            require_scope(request, scope)
        return True
