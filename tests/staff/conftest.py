import pytest

from .helpers import login


@pytest.fixture
def staff_login(client):
    """Logs the test client in with a role (or as superuser) and returns the user."""

    def _login(role=None, *, superuser=False):
        return login(client, role, superuser=superuser)

    return _login
