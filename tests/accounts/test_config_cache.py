"""The configuration cache never serves rows cached for another database (issue #11)."""

import uuid

import pytest
from django.db import connection
from django.db.backends.signals import connection_created

from core.config_cache import cached_config, database_identity
from core.models import DatabaseIdentity
from points.models import PointAccount, Tier
from points.tiers import tiers_all
from tests.factories import StoreFactory, TierFactory
from tests.helpers import pos_client_for


def reconnect_to_database_with(identity: uuid.UUID) -> None:
    """As after a restore: another identity row, and the app opens a new connection."""
    DatabaseIdentity.objects.filter(pk=1).update(uuid=identity)
    connection_created.send(sender=type(connection), connection=connection)


def test_a_database_gets_an_identity_from_its_migration(db):
    assert DatabaseIdentity.objects.get().uuid is not None


def test_configuration_cached_for_one_database_is_not_read_for_another(db):
    # given a value cached while the app talked to one database
    first, second = uuid.uuid4(), uuid.uuid4()
    reconnect_to_database_with(first)
    assert cached_config("test:rows", lambda: ["rows of the first"]) == ["rows of the first"]
    # when another database is behind the same shared cache (recreated, restored, or another
    # install sharing the Redis)
    reconnect_to_database_with(second)
    # then the value is read from that database, not from the cache
    assert cached_config("test:rows", lambda: ["rows of the second"]) == ["rows of the second"]
    # and back on the first, its own entry is still there (keyed, not cleared)
    reconnect_to_database_with(first)
    assert cached_config("test:rows", lambda: ["not read"]) == ["rows of the first"]


def test_the_identity_is_read_again_only_after_a_reconnect(db, django_assert_num_queries):
    # given the identity was read on this connection
    connection_created.send(sender=type(connection), connection=connection)
    database_identity()
    # when configuration is read again
    with django_assert_num_queries(0):
        identity = database_identity()
    # then no query was needed; a new connection reads it again
    connection_created.send(sender=type(connection), connection=connection)
    assert database_identity() == identity


def test_a_flushed_identity_row_is_written_again(db):
    # given the identity row is gone (tables flushed)
    connection_created.send(sender=type(connection), connection=connection)
    before = database_identity()
    DatabaseIdentity.objects.all().delete()
    # when the app reconnects
    connection_created.send(sender=type(connection), connection=connection)
    # then a new identity is written and used
    assert database_identity() != before
    assert DatabaseIdentity.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cached_tier_deleted_behind_the_cache_answers_503_once_then_reads_afresh():
    # given the entry tier is cached, then deleted in SQL (no signal clears the cache)
    pos = pos_client_for(StoreFactory())
    bronze = TierFactory(rank=1, threshold=0, name_nl="Brons")
    assert tiers_all() == [bronze]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Tier._meta.db_table} WHERE id = %s", [bronze.pk])
    # when a till enrols a member: the cached tier id breaks the foreign key at commit
    first = pos.post("/api/v1/members/", {"first_name": "Ann"}, format="json")
    # then the till is told to retry, nothing was recorded, and the cached tiers are forgotten
    assert first.status_code == 503
    assert first["Retry-After"] == "2"
    assert first.json()["code"] == "service_unavailable"
    assert PointAccount.objects.count() == 0
    # and the retry enrols the member with the tiers that exist (none)
    retry = pos.post("/api/v1/members/", {"first_name": "Ann"}, format="json")
    assert retry.status_code == 201
    assert PointAccount.objects.get().tier is None
