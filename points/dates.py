"""Calendar arithmetic in the programme's local time zone (Europe/Amsterdam by default)."""

import calendar
import datetime

from django.utils import timezone


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    """Same local wall-clock time `months` later; the 31st becomes the month's last day."""
    local = timezone.localtime(moment)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    naive = local.replace(tzinfo=None, year=year, month=month, day=day)
    return timezone.make_aware(naive, timezone.get_current_timezone())


def local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time.min), timezone.get_current_timezone()
    )


def period_start(moment: datetime.datetime, period: str) -> datetime.datetime | None:
    """Start of the day/week/month/year containing `moment`, locally; None for 'ever'."""
    day = timezone.localtime(moment).date()
    if period == "day":
        return local_midnight(day)
    if period == "week":
        return local_midnight(day - datetime.timedelta(days=day.weekday()))
    if period == "month":
        return local_midnight(day.replace(day=1))
    if period == "year":
        return local_midnight(day.replace(month=1, day=1))
    return None


def period_end(moment: datetime.datetime, period: str) -> datetime.datetime | None:
    start = period_start(moment, period)
    if start is None:
        return None
    if period == "day":
        return local_midnight(timezone.localtime(start).date() + datetime.timedelta(days=1))
    if period == "week":
        return local_midnight(timezone.localtime(start).date() + datetime.timedelta(days=7))
    return add_months(start, 1 if period == "month" else 12)
