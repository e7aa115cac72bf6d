"""Helpers of the portal tests."""

import re

from django.core import mail


def link_from_outbox() -> str:
    """The sign-in link in the last e-mail sent."""
    match = re.search(r"https?://\S+/login/link/\S+/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)
