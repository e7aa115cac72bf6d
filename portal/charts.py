"""A small server-rendered SVG chart for the portal: points earned and spent per month."""

import datetime

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from points.models import PointsEntry

WIDTH, HEIGHT, PADDING = 640, 180, 24


def monthly_points_chart(member, *, months: int = 12) -> dict:
    """Bars per month (earned up, spent/expired down) plus a table of the same numbers."""
    today = timezone.localdate()
    first = today.year * 12 + today.month - 1 - (months - 1)
    start = datetime.date(first // 12, first % 12 + 1, 1)
    rows = (
        PointsEntry.objects.filter(account__member=member, created_at__date__gte=start)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            earned=Sum("points", filter=Q(points__gt=0)),
            spent=Sum("points", filter=Q(points__lt=0)),
        )
    )
    by_month = {
        row["month"].date() if hasattr(row["month"], "date") else row["month"]: row for row in rows
    }
    bars = []
    month = start
    for _index in range(months):
        row = by_month.get(month, {})
        bars.append(
            {
                "month": month,
                "label": formats.date_format(month, "M"),
                "earned": row.get("earned") or 0,
                "spent": -(row.get("spent") or 0),
            }
        )
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    peak = max([1, *(bar["earned"] for bar in bars), *(bar["spent"] for bar in bars)])
    slot = (WIDTH - 2 * PADDING) / months
    middle = HEIGHT / 2
    scale = (middle - PADDING) / peak
    for index, bar in enumerate(bars):
        bar["x"] = round(PADDING + index * slot + slot * 0.15, 1)
        bar["width"] = round(slot * 0.7, 1)
        bar["up"] = round(bar["earned"] * scale, 1)
        bar["y_up"] = round(middle - bar["up"], 1)
        bar["down"] = round(bar["spent"] * scale, 1)
        bar["label_x"] = round(PADDING + index * slot + slot / 2, 1)
    return {
        "bars": bars,
        "width": WIDTH,
        "height": HEIGHT,
        "middle": middle,
        "title": _("Points earned and spent per month"),
        "has_data": any(bar["earned"] or bar["spent"] for bar in bars),
    }
