"""Guards of members and the portal: each row lock raced on PostgreSQL, each constraint hit past
the services (docs/architecture.md, "Guards and the tests that defend them")."""

import pytest
from django.db import IntegrityError, transaction

from accounts import portal
from accounts.models import ClosureRequest, ConsentChange, LoginToken, Member
from accounts.services import erasure, member_consent_set, member_update_contact
from accounts.services import members as members_module
from core.errors import Conflict, InvalidInput
from core.models import IdempotencyRecord
from tests.factories import MemberFactory, UserFactory
from tests.markers import postgres_only

from .interleave import Interleave

race = pytest.mark.django_db(transaction=True, serialized_rollback=True)


# Row locks


@postgres_only
@race
def test_a_sign_in_link_is_consumed_under_a_lock(monkeypatch):
    # given one sign-in link, and a use of it that stops before marking it used
    member = MemberFactory()
    raw_token = portal.login_link_create(member=member)
    interleave = Interleave()
    monkeypatch.setattr(LoginToken, "save", interleave.pause_before(LoginToken.save))
    # when it is used twice at once
    results = interleave.run(
        lambda: portal.login_link_consume(raw_token), lambda: portal.login_link_consume(raw_token)
    )
    # then it signed in once
    assert isinstance(results[0], Member)
    assert isinstance(results[1], portal.LoginLinkInvalid)


@postgres_only
@race
def test_a_consent_change_locks_the_member(monkeypatch):
    # given a grant of e-mail consent that stops before saving it
    member = MemberFactory()
    interleave = Interleave()
    monkeypatch.setattr(Member, "save", interleave.pause_before(Member.save))

    def grant():
        return member_consent_set(member=member, channel="email", is_granted=True, source="portal")

    # when the member grants it twice at once (two tabs)
    results = interleave.run(grant, grant)
    # then the consent trail records one change
    assert not [result for result in results if isinstance(result, Exception)], results
    assert ConsentChange.objects.filter(member=member).count() == 1


@postgres_only
@race
def test_erasing_a_member_locks_the_member(monkeypatch):
    # given a member who consented to e-mail, and an erasure that stops before writing
    member = MemberFactory()
    member_consent_set(member=member, channel="email", is_granted=True, source="portal")
    interleave = Interleave()
    monkeypatch.setattr(
        erasure, "erase_everywhere", interleave.pause_before(erasure.erase_everywhere)
    )
    # when the member grants SMS consent meanwhile
    closed, granted = interleave.run(
        lambda: erasure.member_erase(member=member, actor=UserFactory(), reason="asked"),
        lambda: member_consent_set(member=member, channel="sms", is_granted=True, source="portal"),
    )
    # then the consent trail tells the member's consents as they are (the erasure withdrew the
    # consent it had not seen, instead of blanking it unrecorded)
    assert not isinstance(closed, Exception), closed
    assert not isinstance(granted, Exception), granted
    member.refresh_from_db()
    for channel, field in (("email", "email_consent_at"), ("sms", "sms_consent_at")):
        last = ConsentChange.objects.filter(member=member, channel=channel).latest("pk")
        assert last.is_granted == (getattr(member, field) is not None), channel


@postgres_only
@race
def test_a_contact_change_racing_an_erasure_never_types_data_back_in(monkeypatch):
    # given a contact change that checked the member was not erased, then stops before its lock
    member = MemberFactory()
    interleave = Interleave()
    monkeypatch.setattr(
        members_module,
        "_raise_if_contact_taken",
        interleave.pause_before(members_module._raise_if_contact_taken),
    )
    # when the member is erased meanwhile
    changed, erased = interleave.run(
        lambda: member_update_contact(
            member=member,
            email="nieuw@example.org",
            phone=None,
            first_name="Nieuw",
            last_name="",
            birth_date=None,
            language="nl",
        ),
        lambda: erasure.member_erase(member=member, actor=UserFactory(), reason="asked"),
    )
    # then the change is refused under the member's lock, and the erased member stays empty
    assert not isinstance(erased, Exception), erased
    assert isinstance(changed, InvalidInput), changed
    assert changed.code == "member_erased"
    member.refresh_from_db()
    assert (member.first_name, member.email) == ("", None)


# Constraints


@pytest.mark.django_db
def test_a_member_has_one_open_closure_request(member):
    # given an open request to close the account
    portal.closure_request_create(member=member, reason="moving")
    # when the member asks again (the service relies on the constraint alone)
    with pytest.raises(Conflict) as raised:
        portal.closure_request_create(member=member, reason="moving")
    # then it is refused, and one request waits for staff
    assert raised.value.code == "closure_already_requested"
    assert ClosureRequest.objects.filter(member=member).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_an_idempotency_key_twice_for_one_client():
    IdempotencyRecord.objects.create(client="store:1", key="k", scope="redeem", request_hash="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        IdempotencyRecord.objects.create(
            client="store:1", key="k", scope="redeem", request_hash="b"
        )
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_card_number_twice(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(card_number=member.card_number, language="nl")
    assert Member.objects.filter(card_number=member.card_number).count() == 1
