"""Retention: what is past its period goes nightly; dormant members are offered for erasure."""

import datetime

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Erasure, LoginToken, Member
from accounts.portal import login_link_create
from campaigns.models import Delivery, OutboundMessage
from campaigns.selectors import members_offered_for_erasure
from campaigns.services import personal_data_purge
from loyalty_site import roles
from points.models import LoyaltyProgram, Purchase
from tests.factories import AutomationFactory, MemberFactory, UserFactory
from tests.helpers import buy, days_ago

pytestmark = pytest.mark.django_db


def _message(member, *, age_days: float) -> OutboundMessage:
    delivery = Delivery.objects.create(
        automation=AutomationFactory(), member=member, period_key=f"p{age_days}"
    )
    return OutboundMessage.objects.create(
        delivery=delivery,
        channel="email",
        to=member.email,
        subject="Hallo",
        body=f"Beste {member.first_name}",
        sent_at=days_ago(age_days),
    )


def _attempt(model, *, age_days: float, **extra):
    row = model.objects.create(
        username="staff1", ip_address="192.0.2.1", user_agent="x", http_accept="*/*",
        path_info="/admin/login/", **extra,
    )  # fmt: skip
    model.objects.filter(pk=row.pk).update(attempt_time=days_ago(age_days))
    return row


def test_the_nightly_purge_removes_only_what_is_past_its_period(member):
    # given the default periods: texts 365 days, links 30, access logs 90, blocked 730
    old_message, new_message = _message(member, age_days=400), _message(member, age_days=300)
    login_link_create(member=member)
    LoginToken.objects.update(created_at=days_ago(31))
    fresh_token = login_link_create(member=member)
    _attempt(AccessLog, age_days=91)
    _attempt(AccessAttempt, age_days=10, get_data="", post_data="", failures_since_start=1)
    blocked_long = MemberFactory(status="blocked")
    Member.objects.filter(pk=blocked_long.pk).update(updated_at=days_ago(731))
    blocked_lately = MemberFactory(status="blocked")
    Session.objects.create(session_key="old", session_data="x", expire_date=days_ago(1))
    # when the purge runs
    counts = personal_data_purge()
    # then the old message lost its address and text, the recent one kept them
    old_message = OutboundMessage.objects.get(pk=old_message.pk)
    assert (old_message.to, old_message.subject, old_message.body) == ("", "", "")
    assert OutboundMessage.objects.get(pk=new_message.pk).body == new_message.body
    # and the old link, access log and session are gone, the fresh ones stay
    assert LoginToken.objects.count() == 1
    assert fresh_token
    assert (AccessLog.objects.count(), AccessAttempt.objects.count()) == (0, 1)
    assert not Session.objects.exists()
    # and the long-blocked member is erased by retention, the recently blocked one not
    assert Erasure.objects.get().member == blocked_long
    assert Erasure.objects.get().via == "retention"
    assert Member.objects.get(pk=blocked_lately.pk).email == blocked_lately.email
    assert counts == {
        "message_texts": 1,
        "sign_in_links": 1,
        "access_logs": 1,
        "sessions": 1,
        "closed_members": 1,
        "import_files": 0,
    }
    # and running it again finds nothing more
    assert sum(personal_data_purge().values()) == 0


def test_a_period_of_zero_keeps_that_data(member):
    message = _message(member, age_days=4000)
    blocked = MemberFactory(status="blocked")
    Member.objects.filter(pk=blocked.pk).update(updated_at=days_ago(4000))
    program = LoyaltyProgram.current()
    program.message_retention_days = program.closed_member_retention_days = 0
    program.save()
    counts = personal_data_purge()
    assert "message_texts" not in counts
    assert OutboundMessage.objects.get(pk=message.pk).body == message.body
    assert not Erasure.objects.exists()


def test_the_command_reports_its_progress(capsys):
    call_command("purge_personal_data")
    out = capsys.readouterr().out
    assert "message texts older than 365 days removed" in out
    assert "items removed" in out


def test_members_inactive_for_years_are_offered_for_erasure(store):
    # given the default of 3 years
    long_ago = timezone.now() - datetime.timedelta(days=4 * 365)
    silent = MemberFactory(enrolled_at=long_ago)
    bought_lately = MemberFactory(enrolled_at=long_ago)
    buy(bought_lately, store, "10.00")
    new = MemberFactory()
    bought_long_ago = MemberFactory(enrolled_at=long_ago)
    buy(bought_long_ago, store, "10.00")
    Purchase.objects.filter(member=bought_long_ago).update(occurred_at=long_ago)
    # then only those without activity in 3 years are offered
    offered = set(members_offered_for_erasure())
    assert offered == {silent, bought_long_ago}
    assert new not in offered


def test_managers_see_the_inactive_members_in_the_member_list(client):
    silent = MemberFactory(enrolled_at=timezone.now() - datetime.timedelta(days=4 * 365))
    MemberFactory()
    client.force_login(UserFactory(role=roles.MANAGER))
    response = client.get(reverse("admin:accounts_member_changelist"), {"privacy": "inactive"})
    assert list(response.context["cl"].result_list) == [silent]
    client.force_login(UserFactory(role=roles.CASHIER))
    response = client.get(reverse("admin:accounts_member_changelist"))
    assert "privacy" not in str(response.context["cl"].filter_specs)
