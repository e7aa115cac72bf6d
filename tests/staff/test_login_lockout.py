"""Admin logins are rate-limited (django-axes); the tills' API keys are not affected."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True  # off for the rest of the suite (settings/test.py)
    return settings


def sign_in(client, password: str):
    return client.post(
        reverse("admin:login"),
        {"username": "beheer", "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR="203.0.113.7",
    )


def test_the_admin_login_is_locked_after_five_wrong_passwords(client, axes_on):
    # given
    UserFactory(username="beheer", is_superuser=True)
    assert django_settings.AXES_FAILURE_LIMIT == 5
    for _attempt in range(4):
        assert sign_in(client, "guess").status_code == 200  # the form again
    # when: the fifth wrong password
    locked = sign_in(client, "guess")
    # then: locked, and the right password does not get in either
    assert locked.status_code == 429
    assert sign_in(client, "correct horse battery").status_code == 429
    assert client.get(reverse("admin:index")).status_code == 302  # still not signed in


def test_a_good_password_before_the_limit_resets_the_count(client, axes_on):
    UserFactory(username="beheer", is_superuser=True)
    for _attempt in range(4):
        sign_in(client, "guess")
    assert sign_in(client, "correct horse battery").status_code == 302
    client.logout()
    for _attempt in range(4):
        assert sign_in(client, "guess").status_code == 200


def test_the_lock_is_per_user_and_address(client, axes_on):
    UserFactory(username="beheer", is_superuser=True)
    for _attempt in range(5):
        sign_in(client, "guess")
    from_elsewhere = client.post(
        reverse("admin:login"),
        {"username": "beheer", "password": "correct horse battery"},
        REMOTE_ADDR="198.51.100.1",
    )
    assert from_elsewhere.status_code == 302


def test_tills_keep_working_while_a_staff_login_is_locked(client, axes_on, pos):
    UserFactory(username="beheer", is_superuser=True)
    for _attempt in range(6):
        sign_in(client, "guess")
    member = MemberFactory()
    response = pos.get(f"/api/v1/members/{member.card_number}/", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200


def test_behind_a_proxy_the_lock_is_per_client_not_per_proxy(client, axes_on):
    # given: one trusted proxy (the same setting as the portal's limits)
    axes_on.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="beheer", is_superuser=True)
    behind_proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _attempt in range(5):
        client.post(
            reverse("admin:login"),
            {"username": "beheer", "password": "guess"},
            HTTP_X_FORWARDED_FOR="203.0.113.7",
            **behind_proxy,
        )
    # when: the same user signs in from another client behind the same proxy
    elsewhere = client.post(
        reverse("admin:login"),
        {"username": "beheer", "password": "correct horse battery"},
        HTTP_X_FORWARDED_FOR="198.51.100.1",
        **behind_proxy,
    )
    # then: that client is not locked out
    assert elsewhere.status_code == 302
