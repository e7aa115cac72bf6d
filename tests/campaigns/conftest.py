import pytest

from campaigns.messaging import MemoryBackend


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
