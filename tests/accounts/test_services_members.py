import datetime

import pytest
from django.utils import timezone

from accounts.models import ConsentChange, Member
from accounts.services import member_consent_set, member_enrol, member_update_contact
from core.errors import Conflict, InvalidInput
from points.models import PointAccount


@pytest.mark.django_db
def test_enrolment_normalises_contact_details_and_opens_a_point_account(store):
    # when
    member = member_enrol(
        email="  Anna.Jansen@Example.NL ", phone="06 12345678", first_name=" Anna ", store=store
    )
    # then
    member.refresh_from_db()
    assert member.email == "anna.jansen@example.nl"
    assert member.phone == "+31612345678"
    assert member.first_name == "Anna"
    assert member.enrolled_store == store
    assert PointAccount.objects.get(member=member).balance == 0


@pytest.mark.django_db
def test_enrolment_records_each_consent_with_its_time():
    before = timezone.now()
    member = member_enrol(email="a@example.com", consents={"email": True, "sms": False})
    assert member.email_consent_at >= before
    assert member.sms_consent_at is None
    assert list(ConsentChange.objects.values_list("channel", "is_granted")) == [("email", True)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        ({"email": "a@example.com"}, {"email": "A@EXAMPLE.com"}, "email_taken"),
        ({"phone": "0612345678"}, {"phone": "+31 6 1234 5678"}, "phone_taken"),
    ],
)
def test_an_email_or_phone_belongs_to_one_member_only(first, second, code):
    member_enrol(**first)
    with pytest.raises(Conflict) as error:
        member_enrol(**second)
    assert error.value.code == code
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_members_without_email_or_phone_do_not_clash():
    member_enrol()
    member_enrol()
    assert Member.objects.filter(email__isnull=True, phone__isnull=True).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"phone": "+31 6 1234"}, "phone"),
        ({"birth_date": datetime.date(2999, 1, 1)}, "birth_date"),
    ],
)
def test_invalid_contact_details_are_refused_and_nothing_is_created(kwargs, field):
    with pytest.raises(InvalidInput) as error:
        member_enrol(**kwargs)
    assert error.value.field == field
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_consent_withdrawal_clears_the_time_and_is_logged(member):
    member_consent_set(member=member, channel="sms", is_granted=True, source="portal")
    member_consent_set(member=member, channel="sms", is_granted=False, source="portal")
    member.refresh_from_db()
    assert member.sms_consent_at is None
    assert list(
        ConsentChange.objects.filter(member=member)
        .order_by("pk")
        .values_list("is_granted", flat=True)
    ) == [True, False]


CONTACT = {
    "email": "anna@example.com",
    "phone": None,
    "first_name": "Anna",
    "last_name": "",
    "birth_date": None,
    "language": "nl",
}


@pytest.mark.django_db
@pytest.mark.parametrize(("given", "saved"), [("whatsapp", "whatsapp"), ("", ""), (None, "sms")])
def test_a_contact_update_sets_the_preferred_channel_only_when_given(given, saved):
    # given
    member = member_enrol(email="anna@example.com")
    Member.objects.filter(pk=member.pk).update(preferred_channel="sms")
    # when
    member_update_contact(member=member, **CONTACT, preferred_channel=given)
    # then
    member.refresh_from_db()
    assert member.preferred_channel == saved


@pytest.mark.django_db
def test_a_contact_update_refuses_an_unknown_channel_and_changes_nothing():
    # given
    member = member_enrol(email="anna@example.com", first_name="Ann")
    # when
    with pytest.raises(InvalidInput) as raised:
        member_update_contact(
            member=member, **{**CONTACT, "first_name": "Anna"}, preferred_channel="fax"
        )
    # then
    assert raised.value.field == "preferred_channel"
    member.refresh_from_db()
    assert (member.first_name, member.preferred_channel) == ("Ann", "")
