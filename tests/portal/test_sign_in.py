"""Signing in: one-time links, an optional password, rate limits, nothing revealed."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import LoginToken, Member
from accounts.portal import login_link_create, portal_user_for
from tests.factories import MemberFactory

from .helpers import link_from_outbox

pytestmark = pytest.mark.django_db


def ask_link(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("portal:login"), {"link-email": email})


def test_a_member_signs_in_with_a_link_from_the_email(client, django_capture_on_commit_callbacks):
    member = MemberFactory(email="anna@example.com", first_name="Anna")
    response = ask_link(client, "ANNA@example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["anna@example.com"]
    link = link_from_outbox()
    # opening the link shows a button (mail scanners must not use it up)
    page = client.get(link)
    assert page.status_code == 200
    assert not page.wsgi_request.user.is_authenticated
    # pressing it signs in
    signed_in = client.post(link)
    assert signed_in.status_code == 302
    assert client.get(reverse("portal:dashboard")).context["request"].member == member


def test_a_link_works_only_once(client, member):
    token = login_link_create(member=member)
    url = reverse("portal:login-link", args=[token])
    assert client.post(url).status_code == 302
    client.logout()
    client.post(url)
    assert client.get(reverse("portal:dashboard")).status_code == 302  # back to sign-in


def test_an_expired_link_is_refused(client, member):
    token = login_link_create(member=member)
    LoginToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("portal:login-link", args=[token]))
    assert response.context["valid"] is False
    client.post(reverse("portal:login-link", args=[token]))
    assert client.get(reverse("portal:dashboard")).status_code == 302


def test_the_answer_never_tells_whether_an_email_is_known(
    client, django_capture_on_commit_callbacks
):
    MemberFactory(email="known@example.com")
    known = ask_link(client, "known@example.com", django_capture_on_commit_callbacks)
    unknown = ask_link(client, "nobody@example.com", django_capture_on_commit_callbacks)
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert len(mail.outbox) == 1


def test_link_requests_are_rate_limited_per_address(client, django_capture_on_commit_callbacks):
    MemberFactory(email="anna@example.com")
    for _ in range(8):
        ask_link(client, "anna@example.com", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 5


def test_a_blocked_member_gets_no_link(client, django_capture_on_commit_callbacks):
    MemberFactory(email="gone@example.com", status=Member.Status.BLOCKED)
    ask_link(client, "gone@example.com", django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_a_member_may_sign_in_with_a_password_too(client, member):
    user = portal_user_for(member)
    user.set_password("a long Dutch password 42")
    user.save()
    response = client.post(
        reverse("portal:login"),
        {"password-email": member.email, "password-password": "a long Dutch password 42"},
    )
    assert response.status_code == 302
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_password_attempts_are_limited(client, member):
    user = portal_user_for(member)
    user.set_password("the right one 12345")
    user.save()
    for _ in range(5):
        client.post(
            reverse("portal:login"), {"password-email": member.email, "password-password": "wrong"}
        )
    # even the right password is refused now
    response = client.post(
        reverse("portal:login"),
        {"password-email": member.email, "password-password": "the right one 12345"},
    )
    assert response.status_code == 200
    assert client.get(reverse("portal:dashboard")).status_code == 302


def test_a_wrong_password_and_an_unknown_email_look_the_same(client, member):
    wrong = client.post(
        reverse("portal:login"), {"password-email": member.email, "password-password": "nope"}
    )
    unknown = client.post(
        reverse("portal:login"), {"password-email": "x@example.com", "password-password": "nope"}
    )
    assert (
        wrong.context["password_form"].non_field_errors()
        == unknown.context["password_form"].non_field_errors()
    )


def test_self_enrolment_creates_a_member_with_a_card_number(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:signup"),
            {
                "email": "Nieuw@Example.com",
                "first_name": "Nieuw",
                "language": "en",
                "consent_email": "on",
            },
        )
    assert response.status_code == 302
    member = Member.objects.get(email="nieuw@example.com")
    assert len(member.card_number) == 11
    assert member.language == "en"
    assert member.email_consent_at is not None
    assert member.consent_changes.get().source == "portal"
    assert "/login/link/" in mail.outbox[0].body


def test_signing_up_with_a_known_email_reveals_nothing_and_sends_a_link(
    client, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:signup"), {"email": member.email, "first_name": "X", "language": "nl"}
        )
    assert response.url == reverse("portal:login-sent")
    assert Member.objects.count() == 1
    assert mail.outbox[0].to == [member.email]


def test_a_member_enrolled_at_the_till_can_sign_in_without_registering(
    client, pos, django_capture_on_commit_callbacks
):
    pos.post(
        "/api/v1/members/", {"email": "kassa@example.com", "first_name": "Kees"}, format="json"
    )
    ask_link(client, "kassa@example.com", django_capture_on_commit_callbacks)
    client.post(link_from_outbox())
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_staff_users_are_not_members(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True))
    assert client.get(reverse("portal:dashboard")).status_code == 302
