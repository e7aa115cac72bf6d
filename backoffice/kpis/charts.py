"""Small server-rendered SVG charts: bars (grouped or stacked), lines and a heat grid.

No JavaScript, no external files: each chart is an accessible <svg role="img"> with a <title> and
a <desc>; the dashboard shows the same numbers in a table beside it. Coordinates are written
with Python's own number formatting (never the template's localisation, which would turn 12.5
into "12,5" in Dutch and break the drawing); labels are localised.
"""

import math
from dataclasses import dataclass
from itertools import count

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 660, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 30, 36
PALETTE = ["#2b6cb0", "#dd6b20", "#c53030", "#718096", "#2f855a", "#6b46c1", "#b7791f"]
_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | int | None]
    colour: str = ""


def _nice_step(maximum: float, ticks: int = 4) -> float:
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _label(value: float, suffix: str = "") -> str:
    decimals = 0 if float(value).is_integer() else 1
    return escape(number_format(value, decimal_pos=decimals, force_grouping=True) + suffix)


def _open(title: str, description: str, height: int = HEIGHT) -> tuple[list[str], str]:
    ident = f"kpi-chart-{next(_ids)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="kpi-chart" role="img" aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<desc id="{ident}-d">{escape(description)}</desc>',
    ]
    return parts, ident


def _legend(parts: list[str], series: list[Series]) -> None:
    x = LEFT
    for item in series:
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{item.colour}"/>')
        parts.append(f'<text x="{x + 16}" y="16" class="legend">{escape(item.name)}</text>')
        x += 28 + 7 * len(item.name)


def _axes(parts: list[str], top_value: float, step: float, suffix: str) -> None:
    plot_height = HEIGHT - TOP - BOTTOM
    value = 0.0
    while value <= top_value + step / 2:
        y = HEIGHT - BOTTOM - plot_height * value / top_value
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_label(value, suffix)}</text>'
        )
        value += step


def _x_labels(parts: list[str], labels: list[str], slot: float) -> None:
    every = max(1, math.ceil(48 / slot))  # keep labels at least ~48px apart
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = LEFT + slot * (index + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )


def _coloured(series: list[Series]) -> list[Series]:
    return [
        Series(item.name, item.values, item.colour or PALETTE[index % len(PALETTE)])
        for index, item in enumerate(series)
    ]


def _frame(
    title: str,
    description: str,
    series: list[Series],
    highest: float,
    suffix: str,
    top_value: float | None = None,
) -> tuple[list[str], float]:
    """Opens a chart with its legend and value axis; returns the parts and the axis maximum."""
    step = _nice_step(top_value or highest)
    top_value = top_value or step * max(1, math.ceil(highest / step))
    parts, _ident = _open(title, description)
    _legend(parts, series)
    _axes(parts, top_value, step, suffix)
    return parts, top_value


def _close(parts: list[str], labels: list[str], slot: float) -> SafeString:
    _x_labels(parts, labels, slot)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every label above is escaped)


def bar_chart(
    title: str,
    description: str,
    labels: list[str],
    series: list[Series],
    *,
    stacked: bool = False,
    suffix: str = "",
) -> SafeString:
    """Bars per label: side by side, or stacked (e.g. members per tier at each week's end)."""
    series = _coloured(series)
    totals = [
        sum(item.values[index] or 0 for item in series) if stacked else 0
        for index in range(len(labels))
    ]
    highest = max([*totals, *(value or 0 for item in series for value in item.values)], default=0)
    parts, top_value = _frame(title, description, series, highest, suffix)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    bar_width = slot * 0.7 / (1 if stacked else len(series))
    for index, label in enumerate(labels):
        base = HEIGHT - BOTTOM
        for position, item in enumerate(series):
            value = item.values[index] or 0
            height = plot_height * value / top_value
            x = LEFT + slot * index + slot * 0.15 + (0 if stacked else bar_width * position)
            y = base - height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{height:.1f}" '
                f'fill="{item.colour}"><title>{escape(label)} – {escape(item.name)}: '
                f"{_label(value, suffix)}</title></rect>"
            )
            if stacked:
                base = y
    return _close(parts, labels, slot)


def line_chart(
    title: str,
    description: str,
    labels: list[str],
    series: list[Series],
    *,
    suffix: str = "",
    top_value: float | None = None,
) -> SafeString:
    """Lines through the value at each label; a missing value (None) breaks the line."""
    series = _coloured(series)
    highest = max((value or 0 for item in series for value in item.values), default=0)
    parts, top_value = _frame(title, description, series, highest, suffix, top_value)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for item in series:
        points = []
        for index, value in enumerate(item.values):
            if value is None:
                continue
            x = LEFT + slot * (index + 0.5)
            y = HEIGHT - BOTTOM - plot_height * float(value) / top_value
            points.append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{item.colour}">'
                f"<title>{escape(labels[index])} – {escape(item.name)}: "
                f"{_label(float(value), suffix)}</title></circle>"
            )
        if len(points) > 1:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{item.colour}" '
                'stroke-width="2"/>'
            )
    return _close(parts, labels, slot)


def heat_grid(
    title: str,
    description: str,
    row_labels: list[str],
    column_labels: list[str],
    values: list[list[int]],
    *,
    row_axis: str,
    column_axis: str,
) -> SafeString:
    """A grid of counts, darker for more (the RFM grid: recency rows × frequency columns)."""
    size, left, top = 54, 120, 30
    height = top + size * len(row_labels) + 44
    highest = max((value for row in values for value in row), default=0) or 1
    parts, _ident = _open(title, description, height)
    for row_index, row_label in enumerate(row_labels):
        y = top + size * row_index
        parts.append(
            f'<text x="{left - 8}" y="{y + size / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(row_label)}</text>"
        )
        for column_index, value in enumerate(values[row_index]):
            x = left + size * column_index
            share = value / highest
            text_class = "on-dark" if share > 0.55 else ""
            parts.append(
                f'<rect x="{x}" y="{y}" width="{size - 2}" height="{size - 2}" '
                f'fill="#2b6cb0" fill-opacity="{0.08 + 0.92 * share:.2f}">'
                f"<title>{escape(row_axis)} {escape(row_label)}, {escape(column_axis)} "
                f"{escape(column_labels[column_index])}: {_label(value)}</title></rect>"
            )
            parts.append(
                f'<text x="{x + size / 2 - 1:.1f}" y="{y + size / 2 + 4:.1f}" '
                f'text-anchor="middle" class="{text_class}">{_label(value)}</text>'
            )
    for column_index, column_label in enumerate(column_labels):
        x = left + size * column_index + size / 2 - 1
        parts.append(
            f'<text x="{x:.1f}" y="{top + size * len(row_labels) + 16}" text-anchor="middle">'
            f"{escape(column_label)}</text>"
        )
    parts.append(
        f'<text x="{left + size * len(column_labels) / 2:.1f}" '
        f'y="{top + size * len(row_labels) + 36}" text-anchor="middle" class="axis">'
        f"{escape(column_axis)} →</text>"
    )
    parts.append(
        f'<text x="{left - 8}" y="20" text-anchor="end" class="axis">{escape(row_axis)} ↓</text>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every label above is escaped)


def interval_chart(
    title: str,
    description: str,
    labels: list[str],
    intervals: list[tuple[float, float, float]],
    *,
    suffix: str = "",
    colour: str = PALETTE[0],
) -> SafeString:
    """An estimate with its interval per label (a dot on a whisker), around a zero line: an
    interval that crosses zero shows no effect yet. Values may be negative."""
    low = min([0.0, *(item[1] for item in intervals)])
    high = max([0.0, *(item[2] for item in intervals)])
    step = _nice_step(max(high - low, 1e-9))
    bottom_value = step * math.floor(low / step)
    top_value = step * math.ceil(high / step)
    if top_value == bottom_value:
        top_value = bottom_value + step
    parts, _ident = _open(title, description)
    plot_height = HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        return HEIGHT - BOTTOM - plot_height * (value - bottom_value) / (top_value - bottom_value)

    value = bottom_value
    while value <= top_value + step / 2:
        y = y_of(value)
        css = "grid zero" if abs(value) < step / 1000 else "grid"
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="{css}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_label(value, suffix)}</text>'
        )
        value += step
    y0 = y_of(0.0)
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y0:.1f}" y2="{y0:.1f}" stroke="#1a202c"/>'
    )
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for index, (label, (estimate, lower, upper)) in enumerate(zip(labels, intervals, strict=True)):
        x = LEFT + slot * (index + 0.5)
        tip = (
            f"{escape(label)}: {_label(round(estimate, 1), suffix)} "
            f"({_label(round(lower, 1), suffix)} – {_label(round(upper, 1), suffix)})"
        )
        parts.append(
            f'<g><title>{tip}</title><line x1="{x:.1f}" x2="{x:.1f}" y1="{y_of(lower):.1f}" '
            f'y2="{y_of(upper):.1f}" stroke="{colour}" stroke-width="3"/>'
            f'<line x1="{x - 8:.1f}" x2="{x + 8:.1f}" y1="{y_of(lower):.1f}" '
            f'y2="{y_of(lower):.1f}" stroke="{colour}" stroke-width="2"/>'
            f'<line x1="{x - 8:.1f}" x2="{x + 8:.1f}" y1="{y_of(upper):.1f}" '
            f'y2="{y_of(upper):.1f}" stroke="{colour}" stroke-width="2"/>'
            f'<circle cx="{x:.1f}" cy="{y_of(estimate):.1f}" r="5" fill="{colour}"/></g>'
        )
    return _close(parts, labels, slot)
