"""The card as a QR code and a Code 128 barcode, as inline SVG (no image files, no network).

Both are drawn in their own units with a `viewBox` and no fixed size, so they scale to fill the
box the page gives them (a scanner needs the code large and sharp, not small in a corner).
"""

import barcode
import segno
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

DARK, LIGHT = "#111827", "#ffffff"
# Code 128 asks for a quiet zone of at least ten modules on each side.
QUIET_MODULES = 10
# Bars this many modules high: the SVG stretches to the box's height anyway.
BAR_HEIGHT = 40


def qr_svg(value: str, *, label: str = "") -> SafeString:
    """A QR code of `value` that fills the width of its box (the `viewBox` keeps it square)."""
    # Never a Micro QR (segno picks one for short numbers): few till scanners read those.
    qr = segno.make_qr(value, error="m")
    svg = qr.svg_inline(dark=DARK, light=LIGHT, border=4, omitsize=True)
    return mark_safe(  # segno's output, from a value we issued
        svg.replace("<svg ", f"<svg {_accessible(label)} ", 1)
    )


def barcode_svg(value: str, *, label: str = "") -> SafeString:
    """A Code 128 barcode of `value`: one rectangle per bar, in module units, with quiet zones;
    it stretches to its box (bars stay proportional across the width)."""
    (modules,) = barcode.get("code128", value).build()
    width = len(modules) + 2 * QUIET_MODULES
    bars, start = [], None
    for index, module in enumerate(modules + "0"):
        if module == "1" and start is None:
            start = index
        elif module == "0" and start is not None:
            bars.append(
                f'<rect x="{QUIET_MODULES + start}" y="0" width="{index - start}" '
                f'height="{BAR_HEIGHT}"/>'
            )
            start = None
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" {_accessible(label)} '
        f'viewBox="0 0 {width} {BAR_HEIGHT}" preserveAspectRatio="none" '
        f'shape-rendering="crispEdges">'
        f'<rect width="{width}" height="{BAR_HEIGHT}" fill="{LIGHT}"/>'
        f'<g fill="{DARK}">{"".join(bars)}</g></svg>'
    )


def _accessible(label: str) -> str:
    if label:
        return f'role="img" aria-label="{escape(label)}"'
    return 'aria-hidden="true" focusable="false"'
