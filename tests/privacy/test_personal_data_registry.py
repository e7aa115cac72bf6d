"""The registry of personal data (core.personal_data) covers every model's columns."""

from django.apps import apps
from django.db import models

from core.personal_data import NOT_PERSONAL, PERSONAL_LOOKING, REGISTRY

TEXTUAL = (
    models.CharField,
    models.TextField,
    models.JSONField,
    models.GenericIPAddressField,
    models.BinaryField,
)


def personal_looking_columns() -> set[tuple[str, str]]:
    found = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            looks_personal = PERSONAL_LOOKING.search(field.name)
            if looks_personal and isinstance(field, (*TEXTUAL, models.DateField)):
                found.add((model._meta.label, field.name))
    return found


def test_every_personal_looking_column_is_erased_or_said_not_to_be_personal():
    # given what erasure covers and what was judged not personal (with why)
    covered = {(entry.label, field) for entry in REGISTRY for field in entry.fields}
    judged = {(label, field) for label, fields in NOT_PERSONAL.items() for field in fields}
    # then no model has a personal-looking column outside both lists: a new one must be added
    # to the erasure (core.personal_data.register in the app's privacy.py) or be explained
    assert sorted(personal_looking_columns() - covered - judged) == []


def test_the_registry_names_only_columns_that_exist():
    # a renamed column would otherwise leave the registry silently out of date
    registered = [(entry.label, field) for entry in REGISTRY for field in entry.fields]
    registered += [(label, field) for label, fields in NOT_PERSONAL.items() for field in fields]
    missing = []
    for label, field in registered:
        names = {column.name for column in apps.get_model(label)._meta.concrete_fields}
        if field not in names:
            missing.append((label, field))
    assert missing == []


def test_the_test_would_notice_a_new_personal_column():
    # given the member model as it is: its e-mail column is covered by the erasure
    covered = {(entry.label, field) for entry in REGISTRY for field in entry.fields}
    assert ("accounts.Member", "email") in covered
    # and a column named like contact data would look personal to the check
    assert PERSONAL_LOOKING.search("home_address")
    assert PERSONAL_LOOKING.search("ip_address")
    assert PERSONAL_LOOKING.search("to")
    assert not PERSONAL_LOOKING.search("total")
