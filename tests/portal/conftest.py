import re

import pytest
from django.core import mail

from accounts.portal import portal_user_for


@pytest.fixture
def portal(client, member):
    """A browser session signed in as `member`."""
    client.force_login(portal_user_for(member), backend="django.contrib.auth.backends.ModelBackend")
    return client


def link_from_outbox() -> str:
    """The sign-in link in the last e-mail sent."""
    match = re.search(r"https?://\S+/login/link/\S+/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)
