"""A small server-rendered SVG chart for the portal: points earned and spent per month."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from points.selectors import points_per_month_for

from .templatetags.portal import month_abbreviation

WIDTH, HEIGHT, PADDING = 640, 200, 8
LABEL_SPACE = 28  # below the bars, for month labels readable when the chart is phone-sized


def monthly_points_chart(member, *, months: int = 12) -> dict:
    """Bars per month in which the points were earned or spent (a purchase counts in the month it
    was made, however late the till posted it), plus a table of the same numbers."""
    today = timezone.localdate()
    first = today.year * 12 + today.month - 1 - (months - 1)
    start = datetime.date(first // 12, first % 12 + 1, 1)
    by_month = points_per_month_for(member=member, since=start)
    bars = []
    month = start
    for _index in range(months):
        row = by_month.get(month, {})
        bars.append(
            {
                "month": month,
                "label": month_abbreviation(month),
                "earned": row.get("earned") or 0,
                "spent": row.get("spent") or 0,
            }
        )
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    peak = max([1, *(bar["earned"] for bar in bars), *(bar["spent"] for bar in bars)])
    slot = (WIDTH - 2 * PADDING) / months
    middle = (HEIGHT - LABEL_SPACE) / 2
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
        "label_y": HEIGHT - 6,
        "title": _("Points earned and spent per month"),
        "has_data": any(bar["earned"] or bar["spent"] for bar in bars),
    }
