"""The Dutch admin speaks Dutch, and the technical sections are for superusers only."""

import pytest
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.urls import reverse
from django.utils import translation

from core.models import OutboxJob
from loyalty_site import roles
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

OUR_APPS = {"accounts", "points", "rewards", "campaigns", "insights", "core"}
# Words that are the same in Dutch and English.
SAME_IN_DUTCH = {
    "ID",
    "code",
    "status",
    "e-mail",
    "prefix",
    "type",
    "segment",
    "Segment",
    "score",
    "logo",
    "URL",
}
ROLES = [roles.CASHIER, roles.MARKETING, roles.MANAGER]
TECHNICAL = [
    "admin:django_celery_beat_periodictask_changelist",
    "admin:django_celery_beat_crontabschedule_changelist",
    "admin:django_celery_beat_clockedschedule_changelist",
    "admin:django_celery_beat_solarschedule_changelist",
    "admin:axes_accessattempt_changelist",
]


def _both(text_of) -> tuple[str, str]:
    with translation.override("nl"):
        dutch = str(text_of())
    with translation.override("en"):
        english = str(text_of())
    return dutch, english


def _untranslated() -> list[str]:
    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        columns = [n for n in model_admin.list_display if n not in ("action_checkbox", "__str__")]
        for name in columns:
            dutch, english = _both(
                lambda name=name, model=model, model_admin=model_admin: label_for_field(
                    name, model, model_admin
                )
            )
            if dutch == english and dutch not in SAME_IN_DUTCH:
                found.append(f"column {model._meta.label}.{name}: {dutch}")
        for field in model._meta.concrete_fields:
            dutch, english = _both(lambda field=field: field.verbose_name)
            if dutch == english and dutch not in SAME_IN_DUTCH:
                found.append(f"field {model._meta.label}.{field.name}: {dutch}")
        dutch, english = _both(lambda model=model: model._meta.verbose_name_plural)
        if dutch == english and dutch not in SAME_IN_DUTCH:
            found.append(f"model {model._meta.label}: {dutch}")
    return found


def test_every_column_header_and_field_label_of_our_admin_is_dutch():
    assert _untranslated() == []


def test_the_member_list_has_dutch_column_headers(client):
    MemberFactory()
    client.force_login(UserFactory(is_superuser=True))
    page = client.get(reverse("admin:accounts_member_changelist")).content.decode()
    assert ">Naam<" in page
    assert "Full name" not in page


def test_the_two_box_selector_explains_itself_in_dutch(client):
    # filter_horizontal (a segment's stores and tiers) is drawn by Django's JavaScript, whose
    # Dutch catalogue lacks these lines; locale/nl/LC_MESSAGES/djangojs.po fills them in.
    client.force_login(UserFactory(role=roles.MARKETING))
    catalog = client.get(reverse("admin:jsi18n"), headers={"accept-language": "nl"})
    text = catalog.content.decode()
    assert "Kies %s door ze te selecteren" in text
    assert "Alle %s kiezen" in text
    assert "Geselecteerde %s verwijderen" in text


@pytest.mark.parametrize("role", ROLES)
def test_staff_roles_do_not_see_the_technical_sections(client, role):
    client.force_login(UserFactory(role=role))
    index = client.get(reverse("admin:index")).content.decode()
    assert "/admin/django_celery_beat/" not in index
    assert "/admin/axes/" not in index
    assert {client.get(reverse(name)).status_code for name in TECHNICAL} == {403}


def test_superusers_see_the_technical_sections(client):
    client.force_login(UserFactory(is_superuser=True))
    index = client.get(reverse("admin:index")).content.decode()
    assert "/admin/django_celery_beat/" in index
    assert "/admin/axes/" in index
    assert {client.get(reverse(name)).status_code for name in TECHNICAL} == {200}


@pytest.fixture
def failed_job(db):
    return OutboxJob.objects.create(
        kind="campaigns.delivery_send",
        dedup_key="delivery:42:secret-ish",
        payload={"delivery": 42},
        state=OutboxJob.State.FAILED,
        failures=10,
        last_error='Traceback (most recent call last):\n  File "x.py"\nOSError: SMTP refused',
    )


def test_managers_see_why_a_job_failed_but_not_its_raw_parts(client, failed_job):
    client.force_login(UserFactory(role=roles.MANAGER))
    listing = client.get(reverse("admin:core_outboxjob_changelist")).content.decode()
    detail = client.get(
        reverse("admin:core_outboxjob_change", args=[failed_job.pk])
    ).content.decode()
    for page in (listing, detail):
        assert "OSError: SMTP refused" in page
        assert ">delivery:42:secret-ish<" not in page
        assert "Traceback" not in page
    assert "&quot;delivery&quot;: 42" not in detail
    assert "{&#x27;delivery&#x27;: 42}" not in detail


def test_superusers_see_a_jobs_raw_parts(client, failed_job):
    client.force_login(UserFactory(is_superuser=True))
    detail = client.get(
        reverse("admin:core_outboxjob_change", args=[failed_job.pk])
    ).content.decode()
    assert "delivery:42:secret-ish" in detail
    assert "Traceback" in detail
