"""Columns of the schedules that look personal but are not (see core.personal_data)."""

from core.personal_data import not_personal

_SCHEDULE = "a periodic job's definition, the same for every member"
not_personal(
    "django_celery_beat.PeriodicTask",
    name=_SCHEDULE,
    description=_SCHEDULE,
    args=_SCHEDULE,
    kwargs=_SCHEDULE,
)
