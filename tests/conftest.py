import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.config_cache import forget_all_local
from accounts.services import api_key_create

from .browser import page  # noqa: F401  (the headless-browser fixture)
from .factories import MemberFactory, StoreFactory

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

postgres_only = pytest.mark.skipif(
    not IS_POSTGRES,
    reason="needs PostgreSQL: real row locks and parallel connections (SQLite serialises writers)",
)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    forget_all_local()
    yield
    cache.clear()
    forget_all_local()


@pytest.fixture
def store(db):
    return StoreFactory(code="AMS01", name="Amsterdam Centrum")


@pytest.fixture
def other_store(db):
    return StoreFactory(code="UTR01", name="Utrecht")


def pos_client_for(store) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Api-Key {api_key_create(store=store, name='Till').raw_key}"
    )
    return client


@pytest.fixture
def pos(store) -> APIClient:
    """An API client acting as a till of `store`."""
    return pos_client_for(store)


@pytest.fixture
def other_pos(other_store) -> APIClient:
    return pos_client_for(other_store)


@pytest.fixture
def member(db):
    return MemberFactory()
