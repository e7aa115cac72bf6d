from accounts.member_tokens import MemberToken
from accounts.models import Member, Store
from core.api import ApiView

from .authentication import MemberTokenAuthentication
from .permissions import IsMemberToken
from .throttling import MemberApiThrottle


class PosApiView(ApiView):
    """A view called by a till or the web shop with its store's API key."""

    @property
    def store(self) -> Store:
        return self.request.auth.store


class MemberApiView(ApiView):
    """A view called from the web shop's page with a member token: it acts for that member
    only (docs/member-api.md). Till keys are not accepted here."""

    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [IsMemberToken]
    throttle_classes = [MemberApiThrottle]

    @property
    def token(self) -> MemberToken:
        return self.request.auth

    @property
    def member(self) -> Member:
        return self.request.auth.member
