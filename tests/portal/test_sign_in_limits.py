"""The doors of signing in: where it may send you afterwards, how many links anyone can have sent,
what the time taken and the refusals give away, and which client a request comes from."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.urls import reverse

from accounts.models import Member
from accounts.portal import LINK_BUDGET_PER_CLIENT, LINK_BUDGET_PER_EMAIL, portal_user_for
from tests.factories import MemberFactory

from .helpers import link_from_outbox

pytestmark = pytest.mark.django_db

TOO_MANY = "Er zijn te veel inloglinks aangevraagd. Probeer het over 15 minuten opnieuw."


def ask_link(client, email, capture, **extra):
    with capture(execute=True):
        return client.post(
            reverse("portal:login"), {"link-email": email, **extra.pop("data", {})}, **extra
        )


def sign_up(client, email, capture, **extra):
    with capture(execute=True):
        return client.post(
            reverse("portal:signup"),
            {"email": email, "first_name": "Flood", "language": "nl"},
            **extra,
        )


def with_password(member, password="a long Dutch password 42"):
    user = portal_user_for(member)
    user.set_password(password)
    user.save()
    return password


# --- redirects after signing in: this site only ----------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_a_password_sign_in_never_sends_the_member_to_another_site(client, member, target):
    password = with_password(member)
    page = client.get(reverse("portal:login"), {"next": target})
    assert target not in page.content.decode()  # not even carried in the form
    response = client.post(
        reverse("portal:login") + f"?next={target}",
        {"password-email": member.email, "password-password": password, "next": target},
    )
    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard")


def test_a_sign_in_link_never_sends_the_member_to_another_site(
    client, member, django_capture_on_commit_callbacks
):
    ask_link(client, member.email, django_capture_on_commit_callbacks)
    response = client.post(link_from_outbox(), {"next": "//evil.example/"})
    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard")


def test_a_page_of_this_site_is_where_the_member_lands(
    client, member, django_capture_on_commit_callbacks
):
    # given: a member who opened their codes while signed out
    login_page = client.get(reverse("portal:codes"), follow=True)
    assert login_page.request["QUERY_STRING"] == "next=%2Fcodes%2F"
    # when: they sign in by password
    password = with_password(member)
    response = client.post(
        reverse("portal:login") + "?next=/codes/",
        {"password-email": member.email, "password-password": password, "next": "/codes/"},
    )
    # then: back at their codes
    assert response.url == "/codes/"


def test_a_sign_in_link_asked_for_from_a_page_leads_back_to_it(
    client, member, django_capture_on_commit_callbacks
):
    ask_link(client, member.email, django_capture_on_commit_callbacks, data={"next": "/codes/"})
    link = link_from_outbox()
    assert "?next=%2Fcodes%2F" in mail.outbox[-1].body
    button = client.get(link + "?next=%2Fcodes%2F")
    assert 'name="next" value="/codes/"' in button.content.decode()
    assert client.post(link, {"next": "/codes/"}).url == "/codes/"


# --- one budget for every way a link is sent -------------------------------------------------


def test_sign_up_does_not_get_round_the_link_budget(
    client, member, django_capture_on_commit_callbacks
):
    # given: the sign-in form used up the address's budget
    for _ in range(LINK_BUDGET_PER_EMAIL):
        assert ask_link(client, member.email, django_capture_on_commit_callbacks).status_code == 302
    assert len(mail.outbox) == LINK_BUDGET_PER_EMAIL
    # when: six sign-ups with the same address
    answers = [
        sign_up(client, member.email.upper(), django_capture_on_commit_callbacks) for _ in range(6)
    ]
    # then: no more e-mails, and the page says to try again later
    assert len(mail.outbox) == LINK_BUDGET_PER_EMAIL
    assert {answer.status_code for answer in answers} == {429}
    assert TOO_MANY in answers[0].content.decode()


def test_sign_ups_use_up_the_budget_of_the_sign_in_form(
    client, member, django_capture_on_commit_callbacks
):
    for _ in range(LINK_BUDGET_PER_EMAIL):
        assert sign_up(client, member.email, django_capture_on_commit_callbacks).status_code == 302
    refused = ask_link(client, member.email, django_capture_on_commit_callbacks)
    assert refused.status_code == 429
    assert len(mail.outbox) == LINK_BUDGET_PER_EMAIL


def test_a_refused_sign_up_enrols_nobody(client, django_capture_on_commit_callbacks):
    for _ in range(LINK_BUDGET_PER_EMAIL):
        ask_link(client, "new@example.com", django_capture_on_commit_callbacks)
    assert sign_up(client, "new@example.com", django_capture_on_commit_callbacks).status_code == 429
    assert not Member.objects.filter(email="new@example.com").exists()


def test_one_client_cannot_walk_through_addresses(client, django_capture_on_commit_callbacks):
    members = MemberFactory.create_batch(LINK_BUDGET_PER_CLIENT + 1)
    answers = [
        ask_link(client, member.email, django_capture_on_commit_callbacks) for member in members
    ]
    assert [answer.status_code for answer in answers].count(302) == LINK_BUDGET_PER_CLIENT
    assert answers[-1].status_code == 429
    assert len(mail.outbox) == LINK_BUDGET_PER_CLIENT
    # another client still can
    ask_link(client, members[-1].email, django_capture_on_commit_callbacks, REMOTE_ADDR="192.0.2.9")
    assert len(mail.outbox) == LINK_BUDGET_PER_CLIENT + 1


def test_over_the_budget_a_known_and_an_unknown_address_get_the_same_page(
    client, member, django_capture_on_commit_callbacks
):
    answers = {}
    for email in (member.email, "nobody@example.com"):
        for _ in range(LINK_BUDGET_PER_EMAIL):
            ask_link(client, email, django_capture_on_commit_callbacks)
        answers[email] = ask_link(client, email, django_capture_on_commit_callbacks)
    known, unknown = answers[member.email], answers["nobody@example.com"]
    assert known.status_code == unknown.status_code == 429
    assert TOO_MANY in known.content.decode()
    assert (
        known.context["link_form"].non_field_errors()
        == unknown.context["link_form"].non_field_errors()
    )


# --- the password check takes as long for every address --------------------------------------


class CountingHasher(MD5PasswordHasher):
    """MD5 for speed; counts how often a password is hashed (the slow part in production)."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def hashes_for(client, hasher, email, password="wrong password"):
    hasher.calls = 0
    client.post(reverse("portal:login"), {"password-email": email, "password-password": password})
    return hasher.calls


def test_every_password_attempt_hashes_once_whether_the_address_is_known_or_not(
    client, counting_hasher
):
    with_password(MemberFactory(email="with@example.com"))
    MemberFactory(email="linkonly@example.com")  # signs in by link only: no password
    portal_user_for(MemberFactory(email="unusable@example.com"))  # a user, no password yet
    MemberFactory(email="blocked@example.com", status=Member.Status.BLOCKED)
    counts = {
        email: hashes_for(client, counting_hasher, email)
        for email in (
            "with@example.com",
            "linkonly@example.com",
            "unusable@example.com",
            "blocked@example.com",
            "nobody@example.com",
        )
    }
    assert set(counts.values()) == {1}, counts


# --- the client address through trusted proxies ----------------------------------------------


def test_without_trusted_proxies_a_forwarded_address_is_ignored(
    client, member, django_capture_on_commit_callbacks, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    members = MemberFactory.create_batch(LINK_BUDGET_PER_CLIENT + 1)
    for number, other in enumerate(members):
        # a client making up a new address for every request gains nothing
        ask_link(
            client,
            other.email,
            django_capture_on_commit_callbacks,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}",
        )
    assert len(mail.outbox) == LINK_BUDGET_PER_CLIENT


def test_behind_a_proxy_every_customer_has_their_own_budget(
    client, django_capture_on_commit_callbacks, settings
):
    # given: one proxy in front; every request connects from it
    settings.TRUSTED_PROXY_COUNT = 1
    members = MemberFactory.create_batch(LINK_BUDGET_PER_CLIENT + 1)

    def ask_through_proxy(member, forwarded_for):
        return ask_link(
            client,
            member.email,
            django_capture_on_commit_callbacks,
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=forwarded_for,
        ).status_code

    # when: one customer uses up their budget
    for other in members[:-1]:
        ask_through_proxy(other, "203.0.113.5")
    assert ask_through_proxy(members[-1], "203.0.113.5") == 429
    # then: another customer behind the same proxy still gets a link
    assert ask_through_proxy(members[-1], "203.0.113.6") == 302
    # and a customer who writes their own X-Forwarded-For cannot pose as someone else
    assert ask_through_proxy(members[0], "198.51.100.77, 203.0.113.5") == 429


# --- the language cookie ---------------------------------------------------------------------


def test_the_language_cookie_is_secure_in_production(client, member, settings):
    settings.LANGUAGE_COOKIE_SECURE = True  # what settings/production.py sets
    password = with_password(member)
    response = client.post(
        reverse("portal:login"), {"password-email": member.email, "password-password": password}
    )
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Lax"


def test_production_settings_make_the_language_cookie_secure():
    from pathlib import Path

    production = (Path(__file__).parents[2] / "loyalty_site/settings/production.py").read_text()
    assert "LANGUAGE_COOKIE_SECURE = True" in production


def send_again(client, capture):
    page = client.get(reverse("portal:login-sent"))
    assert 'id="send-again"' in page.content.decode()
    with capture(execute=True):
        return client.post(
            reverse("portal:login"),
            {"link-email": page.context["email"], "next": page.context["next"]},
        )


def test_sending_the_link_again_takes_from_the_same_budget(
    client, member, django_capture_on_commit_callbacks
):
    # given: a sign-up and two sign-in requests for the same address
    sign_up(client, member.email, django_capture_on_commit_callbacks)
    ask_link(client, member.email, django_capture_on_commit_callbacks)
    ask_link(client, member.email, django_capture_on_commit_callbacks)
    # when: the member presses "send the link again" until refused
    answers = [send_again(client, django_capture_on_commit_callbacks) for _ in range(3)]
    # then: five links in all, the sixth request refused
    assert [answer.status_code for answer in answers] == [302, 302, 429]
    assert len(mail.outbox) == LINK_BUDGET_PER_EMAIL
    assert all(message.to == [member.email] for message in mail.outbox)


def test_the_sent_page_offers_nothing_to_send_again_without_a_request(client):
    page = client.get(reverse("portal:login-sent"))
    assert 'id="send-again"' not in page.content.decode()
