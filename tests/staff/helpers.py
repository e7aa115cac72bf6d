"""Helpers of the staff workspace tests: signing staff in, the member page's addresses."""

from django.urls import reverse

from tests.factories import UserFactory


def login(client, role=None, *, superuser=False):
    user = UserFactory(role=role, is_superuser=superuser)
    client.force_login(user)
    return user


def member_url(member) -> str:
    return reverse("admin:accounts_member_change", args=[member.pk])


def action_url(member, slug: str) -> str:
    return reverse("admin:accounts_member_action", args=[member.pk, slug])
