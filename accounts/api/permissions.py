from rest_framework.permissions import BasePermission

from accounts.models import PosApiKey


class IsPosClient(BasePermission):
    """A request authenticated with a store's POS API key."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, PosApiKey)
