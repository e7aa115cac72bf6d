from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import transaction
from rest_framework.test import APIClient

from core.config_cache import forget_all_local
from points.services import points_adjust
from rewards.services import credit_account_lock, credit_append

from .browser import page  # noqa: F401  (the headless-browser fixture)
from .factories import EarningRuleFactory, MemberFactory, StoreFactory, UserFactory
from .helpers import pos_client_for
from .markers import IS_POSTGRES


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Ends connections other threads and processes (live server, worker) left open, so the
    test database can be dropped at the end of the run instead of lingering."""
    yield
    if not IS_POSTGRES:
        return
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
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


@pytest.fixture
def rich_member(member):
    """A member with 1,000 points and 5.00 store credit, under a rule of a point per euro."""
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    points_adjust(member=member, points=1000, reason="test", actor=UserFactory())
    with transaction.atomic():
        credit_append(credit_account_lock(member.pk), kind="grant", amount=Decimal("5"))
    return member
