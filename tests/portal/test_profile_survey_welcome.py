"""The profile keeps the birth date in Dutch, consent needs a number to send to, messages
follow the language just chosen, the survey is for buyers, and a new member is welcomed."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import ConsentChange, Member
from campaigns.models import SurveyResponse
from tests.factories import ActivityTypeFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def test_the_dutch_profile_gives_the_date_picker_an_iso_birth_date(portal, member):
    Member.objects.filter(pk=member.pk).update(birth_date=datetime.date(1960, 3, 7), language="nl")
    content = portal.get(reverse("portal:profile")).content.decode()
    assert 'type="date" name="birth_date" value="1960-03-07"' in content


def test_sms_consent_without_a_phone_number_is_a_form_error_and_records_nothing(portal, member):
    response = portal.post(reverse("portal:consents"), {"email": "on", "sms": "on"})
    assert response.status_code == 200
    assert "Vul eerst je mobiele nummer in bij je gegevens." in response.content.decode()
    member.refresh_from_db()
    assert (member.email_consent_at, member.sms_consent_at) == (None, None)
    assert not ConsentChange.objects.exists()


def test_sms_consent_with_a_phone_number_is_recorded(portal, member):
    Member.objects.filter(pk=member.pk).update(phone="+31612345678")
    portal.post(reverse("portal:consents"), {"whatsapp": "on"})
    member.refresh_from_db()
    assert member.whatsapp_consent_at is not None


def test_after_switching_to_english_the_confirmation_is_in_english(portal, member):
    data = {"first_name": "Anna", "email": member.email, "language": "en"}
    response = portal.post(reverse("portal:profile"), data, follow=True)
    content = response.content.decode()
    assert "Your details are saved." in content
    assert "opgeslagen" not in content


def test_the_survey_is_not_offered_to_a_member_without_purchases(portal, member):
    ActivityTypeFactory(code="survey", points=20)
    assert "Answer the survey" not in portal.get(reverse("portal:dashboard")).content.decode()
    assert reverse("portal:survey") not in portal.get(reverse("portal:dashboard")).content.decode()
    portal.post(reverse("portal:survey"), {"recommend_score": "9"})
    assert not SurveyResponse.objects.exists()


def test_the_survey_offer_mentions_its_points(portal, member, store):
    ActivityTypeFactory(code="survey", points=20)
    buy(member, store, "10.00")
    assert "Je krijgt 20 punten als je antwoordt." in (
        portal.get(reverse("portal:dashboard")).content.decode()
    )
    assert "je krijgt 20 punten" in portal.get(reverse("portal:survey")).content.decode()


def test_optional_survey_questions_start_with_nothing_chosen(portal, member, store):
    buy(member, store, "10.00")
    form = portal.get(reverse("portal:survey")).context["form"]
    for name in ("repurchase_score", "try_new_score"):
        assert [value for value, _label in form.fields[name].choices] == list(range(1, 11))
    assert "checked" not in portal.get(reverse("portal:survey")).content.decode()


def test_a_new_member_is_welcomed_with_their_card_number(client):
    response = client.post(
        reverse("portal:signup"),
        {"email": "nieuw@example.com", "first_name": "Noor", "language": "nl"},
        follow=True,
    )
    member = Member.objects.get(email="nieuw@example.com")
    content = response.content.decode()
    assert "Welkom, Noor!" in content
    assert member.card_number in content


def test_the_address_of_a_member_gets_the_same_answer_as_before_and_no_card_number(client, member):
    response = client.post(
        reverse("portal:signup"), {"email": member.email, "first_name": "X", "language": "nl"}
    )
    assert response.url == reverse("portal:login-sent")
    assert "portal:new-member" not in client.session


def test_the_welcome_page_shows_nothing_to_another_browser(client):
    response = client.get(reverse("portal:welcome"))
    assert response.url == reverse("portal:signup")


def test_the_welcome_page_is_gone_once_someone_signs_in(client, member):
    client.post(
        reverse("portal:signup"),
        {"email": "nieuw@example.com", "first_name": "Noor", "language": "nl"},
    )
    new = Member.objects.get(email="nieuw@example.com")
    from accounts.portal import login_link_create

    client.post(reverse("portal:login-link", args=[login_link_create(member=member)]))
    response = client.get(reverse("portal:welcome"))
    assert new.card_number not in response.content.decode()
