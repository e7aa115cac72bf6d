import pytest

from accounts.portal import portal_user_for


@pytest.fixture
def portal(client, member):
    """A browser session signed in as `member`."""
    client.force_login(portal_user_for(member), backend="django.contrib.auth.backends.ModelBackend")
    return client
