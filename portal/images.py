"""The card as a QR code and a Code 128 barcode, as inline SVG (no image files, no network)."""

import io
import re

import barcode
import segno
from barcode.writer import SVGWriter
from django.utils.safestring import SafeString, mark_safe


def qr_svg(value: str, *, scale: int = 6) -> SafeString:
    qr = segno.make(value, error="m")
    svg = qr.svg_inline(scale=scale, dark="#111827", light="#ffffff", border=2)
    return mark_safe(
        svg.replace("<svg ", '<svg role="img" aria-hidden="true" ', 1)
    )  # segno output, from a code we issued


def barcode_svg(value: str) -> SafeString:
    output = io.BytesIO()
    barcode.get("code128", value, writer=SVGWriter()).write(
        output, options={"write_text": False, "module_height": 18.0, "quiet_zone": 4.0}
    )
    svg = output.getvalue().decode()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype for inline use
    svg = re.sub(
        r'width="[^"]+" height="[^"]+"', 'width="100%" preserveAspectRatio="none"', svg, count=1
    )
    # The writer colours with style attributes, which the Content-Security-Policy refuses (the
    # white background would turn black): the same colours as presentation attributes.
    svg = re.sub(r'style="fill:\s*([#\w]+);?"', r'fill="\1"', svg)
    return mark_safe(svg.replace("<svg ", '<svg role="img" aria-hidden="true" ', 1))
