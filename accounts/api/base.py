from accounts.models import Store
from core.api import ApiView


class PosApiView(ApiView):
    """A view called by a till or the web shop with its store's API key."""

    @property
    def store(self) -> Store:
        return self.request.auth.store
