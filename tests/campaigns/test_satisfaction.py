"""The satisfaction question after a purchase (CSAT, seed 004): asked on the portal and by
message on a consented channel, at most once per member per period."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.messaging import MemoryBackend
from campaigns.models import SatisfactionInvitation, SatisfactionResponse
from campaigns.services import (
    satisfaction_answer,
    satisfaction_invitations_queue,
    satisfaction_invitations_send,
    satisfaction_purchase_for,
)
from core.errors import Conflict, InvalidInput
from points.models import LoyaltyProgram, Purchase
from tests.factories import MemberFactory
from tests.helpers import buy

from .helpers import bought_days_ago

pytestmark = pytest.mark.django_db


def purchase_of(member, store, days=0):
    if days:
        bought_days_ago(member, store, days)
    else:
        buy(member, store, "20.00")
    return Purchase.objects.filter(member=member).latest("occurred_at")


def queue(capture, **kwargs):
    with capture(execute=True):
        return satisfaction_invitations_queue(**kwargs)


def test_an_answer_is_stored_for_the_purchase(store):
    member = MemberFactory()
    purchase = purchase_of(member, store)
    # when
    answer = satisfaction_answer(member=member, purchase_id=purchase.pk, score=8, comment=" Top ")
    # then
    assert (answer.purchase, answer.score, answer.channel, answer.comment) == (
        purchase,
        8,
        "portal",
        "Top",
    )


@pytest.mark.parametrize(
    ("score", "code"),
    [(0, "invalid_score"), (11, "invalid_score"), ("8", "invalid_score"), (None, "required")],
)
def test_a_score_outside_1_to_10_is_refused_and_nothing_stored(store, score, code):
    member = MemberFactory()
    purchase = purchase_of(member, store)
    with pytest.raises(InvalidInput) as refused:
        satisfaction_answer(member=member, purchase_id=purchase.pk, score=score)
    assert (refused.value.code, refused.value.field) == (code, "score")
    assert not SatisfactionResponse.objects.exists()


def test_someone_elses_or_an_old_purchase_is_refused(store):
    member, other = MemberFactory(), MemberFactory()
    theirs = purchase_of(other, store)
    old = purchase_of(member, store, days=20)
    for purchase_id in (theirs.pk, old.pk, None, 999_999):
        with pytest.raises(InvalidInput) as refused:
            satisfaction_answer(member=member, purchase_id=purchase_id, score=7)
        assert refused.value.field == "purchase"
    assert not SatisfactionResponse.objects.exists()


def test_one_answer_per_member_per_period(store):
    member = MemberFactory()
    first, second = purchase_of(member, store, days=3), purchase_of(member, store)
    satisfaction_answer(member=member, purchase_id=first.pk, score=9)
    # when: another purchase within the period
    with pytest.raises(Conflict) as refused:
        satisfaction_answer(member=member, purchase_id=second.pk, score=4)
    assert refused.value.code == "satisfaction_not_due"
    assert satisfaction_purchase_for(member) is None
    # then: after the period the question is back
    period = LoyaltyProgram.current().satisfaction_interval_days
    SatisfactionResponse.objects.update(
        created_at=timezone.now() - datetime.timedelta(days=period + 1)
    )
    assert satisfaction_purchase_for(member) == second


def test_a_purchase_is_answered_once(store):
    member = MemberFactory()
    purchase = purchase_of(member, store)
    satisfaction_answer(member=member, purchase_id=purchase.pk, score=9)
    with pytest.raises(Conflict) as refused:
        satisfaction_answer(member=member, purchase_id=purchase.pk, score=2)
    assert refused.value.code == "satisfaction_answered"
    assert SatisfactionResponse.objects.get().score == 9


def test_recent_buyers_with_consent_are_asked_by_message_once(
    store, django_capture_on_commit_callbacks
):
    asked = MemberFactory(email_consent_at=timezone.now(), language="nl")
    no_consent = MemberFactory()
    purchase = purchase_of(asked, store)
    purchase_of(no_consent, store)
    # when: the beat runs twice
    assert queue(django_capture_on_commit_callbacks) == 1
    assert queue(django_capture_on_commit_callbacks) == 0
    # then: one e-mail, in Dutch, with the link to the question about that purchase
    invitation = SatisfactionInvitation.objects.get()
    assert (invitation.member, invitation.purchase, invitation.status) == (asked, purchase, "sent")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [asked.email]
    assert "Bent u tevreden met uw aankoop van" in message.body
    assert f"/satisfaction/?purchase={purchase.pk}&via=email" in message.body
    assert "Amsterdam Centrum" in message.body


def test_the_message_goes_on_the_preferred_consented_channel(
    store, django_capture_on_commit_callbacks
):
    member = MemberFactory(
        phone="+31611111111",
        whatsapp_consent_at=timezone.now(),
        preferred_channel="whatsapp",
        language="en",
    )
    purchase_of(member, store)
    queue(django_capture_on_commit_callbacks)
    [message] = MemoryBackend.outbox
    assert message.channel == "whatsapp"
    assert message.body.startswith("Are you satisfied with your purchase of")
    assert message.key == f"satisfaction-{SatisfactionInvitation.objects.get().pk}"


def test_the_message_cap_holds_per_member_per_period(store, django_capture_on_commit_callbacks):
    member = MemberFactory(email_consent_at=timezone.now())
    purchase_of(member, store)
    queue(django_capture_on_commit_callbacks)
    # another purchase the next day: within the period, no second question
    purchase_of(member, store)
    assert queue(django_capture_on_commit_callbacks) == 0
    # nor for a member who already answered on the portal
    other = MemberFactory(email_consent_at=timezone.now())
    answered = purchase_of(other, store)
    satisfaction_answer(member=other, purchase_id=answered.pk, score=7)
    purchase_of(other, store)
    assert queue(django_capture_on_commit_callbacks) == 0
    assert SatisfactionInvitation.objects.count() == 1


def test_consent_withdrawn_before_sending_skips_the_message(
    store, django_capture_on_commit_callbacks
):
    member = MemberFactory(email_consent_at=timezone.now())
    purchase_of(member, store)
    with django_capture_on_commit_callbacks(execute=False):
        satisfaction_invitations_queue()
    type(member).objects.filter(pk=member.pk).update(email_consent_at=None)
    satisfaction_invitations_send(list(SatisfactionInvitation.objects.values_list("pk", flat=True)))
    assert SatisfactionInvitation.objects.get().status == "skipped"
    assert mail.outbox == []


def test_a_send_job_run_twice_sends_once(store, django_capture_on_commit_callbacks):
    member = MemberFactory(email_consent_at=timezone.now())
    purchase_of(member, store)
    with django_capture_on_commit_callbacks(execute=False):
        satisfaction_invitations_queue()
    ids = list(SatisfactionInvitation.objects.values_list("pk", flat=True))
    assert satisfaction_invitations_send(ids) == 1
    assert satisfaction_invitations_send(ids) == 0
    assert len(mail.outbox) == 1


def test_the_database_allows_one_answer_per_purchase(store):
    """The guard (docs/architecture.md): SatisfactionResponse.purchase is unique."""
    from django.db import IntegrityError, transaction

    member = MemberFactory()
    purchase = purchase_of(member, store)
    SatisfactionResponse.objects.create(member=member, purchase=purchase, score=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        SatisfactionResponse.objects.create(member=member, purchase=purchase, score=6)


def test_the_database_allows_one_question_per_purchase(store):
    """The guard (docs/architecture.md): SatisfactionInvitation.purchase is unique."""
    from django.db import IntegrityError, transaction

    member = MemberFactory()
    purchase = purchase_of(member, store)
    SatisfactionInvitation.objects.create(member=member, purchase=purchase, channel="email")
    with pytest.raises(IntegrityError), transaction.atomic():
        SatisfactionInvitation.objects.create(member=member, purchase=purchase, channel="sms")
