import datetime

import pytest
from django.utils import timezone

from campaigns.messaging import MemoryBackend
from tests.helpers import buy


@pytest.fixture(autouse=True)
def _memory_messages(settings):
    """SMS and WhatsApp into memory; e-mail into Django's locmem outbox."""
    settings.LOYALTY_MESSAGE_BACKENDS = {
        "sms": "campaigns.messaging.MemoryBackend",
        "whatsapp": "campaigns.messaging.MemoryBackend",
    }
    MemoryBackend.outbox = []
    yield
    MemoryBackend.outbox = []


def bought_days_ago(member, store, days, amount="20.00"):
    """A purchase `days` ago (offline tills may send up to 90 days late)."""
    return buy(member, store, amount, occurred_at=timezone.now() - datetime.timedelta(days=days))
