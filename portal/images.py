"""The card as a QR code and a Code 128 barcode, as inline SVG (no image files, no network).

Both are drawn in their own units with a `viewBox` and no fixed size, so they scale to fill the
box the page gives them (a scanner needs the code large and sharp, not small in a corner).
"""

import segno
from barcode.charsets.code128 import CODES as CODE128_PATTERNS
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
    modules = code128_modules(value)
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


# Code 128's start symbols, the switch to code set B, and the stop pattern with its final bar.
START_B, START_C, SWITCH_TO_B = 104, 105, 100
STOP = "1100011101011"


def code128_modules(value: str) -> str:
    """The bars and spaces of `value` in Code 128, one character per module ("1" = bar).

    Digits go in code set C (two a symbol), an odd last digit in set B; anything else in set B.
    Our own few lines rather than python-barcode's encoder, which drops a leading "99" (it reads
    the pair as the switch to set C), so one card in a hundred scanned as another number.
    """
    if value.isdigit() and len(value) >= 2:
        even = len(value) - len(value) % 2
        symbols = [START_C, *(int(value[i : i + 2]) for i in range(0, even, 2))]
        if even < len(value):
            symbols += [SWITCH_TO_B, ord(value[-1]) - 32]
    else:
        if not all(32 <= ord(character) < 127 for character in value):
            raise ValueError(f"Code 128 set B cannot hold {value!r}")
        symbols = [START_B, *(ord(character) - 32 for character in value)]
    checksum = (symbols[0] + sum(weight * s for weight, s in enumerate(symbols[1:], 1))) % 103
    return "".join(CODE128_PATTERNS[symbol] for symbol in [*symbols, checksum]) + STOP
