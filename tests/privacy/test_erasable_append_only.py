"""Append-only tables with personal columns: erasure may rewrite those, nothing else may change."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import StaffAction
from accounts.services import staff_action_record
from campaigns.models import Delivery, OutboundMessage
from core.append_only import AppendOnlyError
from tests.factories import AutomationFactory, MemberFactory, UserFactory
from tests.markers import IS_POSTGRES, postgres_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(db) -> OutboundMessage:
    delivery = Delivery.objects.create(
        automation=AutomationFactory(), member=MemberFactory(), period_key="p"
    )
    return OutboundMessage.objects.create(
        delivery=delivery, channel="email", to="a@example.org", subject="Hi Anna", body="Dear Anna"
    )


def _sql(statement: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if IS_POSTGRES:  # what erase_personal says before its update
            cursor.execute("SELECT set_config('loyalty.erasure', 'on', true)")
        cursor.execute(statement, params)


def test_erasure_blanks_a_message_address_and_text(message):
    # when the erasure blanks the personal columns
    OutboundMessage.objects.filter(pk=message.pk).erase_personal(to="", subject="", body="")
    # then they are blank and the rest of the row is as it was
    message_after = OutboundMessage.objects.get(pk=message.pk)
    assert (message_after.to, message_after.subject, message_after.body) == ("", "", "")
    assert (message_after.channel, message_after.sent_at) == (message.channel, message.sent_at)


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        # another column, even while erasing
        ("UPDATE campaigns_outboundmessage SET channel = 'sms'", ()),
        ("UPDATE campaigns_outboundmessage SET sent_at = %s", (timezone.now(),)),
        # a personal column together with another one
        ("UPDATE campaigns_outboundmessage SET body = '', channel = 'sms'", ()),
    ],
)
def test_the_database_refuses_any_other_update_of_a_message(message, statement, params):
    with pytest.raises(DatabaseError):
        _sql(statement, params)
    assert OutboundMessage.objects.get(pk=message.pk).channel == "email"


def test_the_database_refuses_rewriting_who_did_what_in_the_audit_trail():
    action = staff_action_record(
        actor=UserFactory(), action="block_member", member=MemberFactory(), reason="Anna asked"
    )
    for statement in (
        "UPDATE accounts_staffaction SET action = 'unblock_member'",
        "UPDATE accounts_staffaction SET staff_user_id = NULL",
        "UPDATE accounts_staffaction SET reason = '', member_id = NULL",
    ):
        with pytest.raises(DatabaseError):
            _sql(statement)
    # while the erasure may replace the personal values in the reason and before/after
    StaffAction.objects.filter(pk=action.pk).erase_personal(reason="[erased] asked", after={})
    action = StaffAction.objects.get(pk=action.pk)
    assert (action.action, action.reason) == ("block_member", "[erased] asked")


@postgres_only
def test_postgres_refuses_even_a_personal_column_outside_an_erasure(message):
    # an update of the body alone, without the erasure saying so in its transaction
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE campaigns_outboundmessage SET body = ''")
    # and deleting is refused whatever the setting
    with pytest.raises(DatabaseError):
        _sql("DELETE FROM campaigns_outboundmessage")
    assert OutboundMessage.objects.get(pk=message.pk).body == "Dear Anna"


def test_the_model_layer_lets_erasure_touch_only_the_personal_columns(message):
    with pytest.raises(AppendOnlyError):
        OutboundMessage.objects.filter(pk=message.pk).erase_personal(channel="sms")
    with pytest.raises(AppendOnlyError):
        OutboundMessage.objects.filter(pk=message.pk).update(body="")
    message.body = ""
    with pytest.raises(AppendOnlyError):
        message.save()
