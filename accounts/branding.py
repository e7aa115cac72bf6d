"""The programme's branding as the portal and messages use it: its name, the sender of e-mails,
and colours that stay readable whatever colour the shop picks."""

from dataclasses import dataclass
from email.utils import formataddr

from django.conf import settings
from django.utils.translation import gettext as _

from .models import Branding

# WCAG 2.1 AA: normal text needs a contrast of at least 4.5:1 with its background.
TEXT_CONTRAST = 4.5
# Black, not a softer dark grey: with black or white one of them always reaches 4.5:1.
DARK_INK = "#000000"
WHITE = "#FFFFFF"


def programme_name(branding: Branding | None = None) -> str:
    """The name members know the programme by, in the active language when none is set."""
    branding = branding or Branding.current()
    return branding.programme_name or _("Loyalty programme")


def sender_address(branding: Branding | None = None) -> str:
    """The From of every e-mail: `"Name" <address>` (the server's default address unless set)."""
    branding = branding or Branding.current()
    address = branding.sender_email or settings.DEFAULT_FROM_EMAIL
    return formataddr((branding.sender_name or programme_name(branding), address))


def support_text(branding: Branding | None = None) -> str:
    branding = branding or Branding.current()
    return branding.translated("support_text")


def _channel(value: int) -> float:
    share = value / 255
    return share / 12.92 if share <= 0.03928 else ((share + 0.055) / 1.055) ** 2.4


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def luminance(colour: str) -> float:
    """The relative luminance of `#RRGGBB` (WCAG 2.1)."""
    red, green, blue = (_channel(value) for value in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _darker(colour: str, factor: float) -> str:
    return "#" + "".join(f"{round(value * factor):02X}" for value in _rgb(colour))


@dataclass(frozen=True)
class Palette:
    brand: str  # backgrounds: the header, primary buttons, bars
    brand_ink: str  # text on the brand colour
    brand_text: str  # the brand colour as text (links) on white


def palette(colour: str) -> Palette:
    """Readable colours from the shop's colour: text on it in white or near-black, whichever
    contrasts more; as text on white, the colour darkened step by step until it reads (≥ 4.5:1)."""
    colour = colour.upper()
    ink = WHITE if contrast(colour, WHITE) >= contrast(colour, DARK_INK) else DARK_INK
    text, factor = colour, 1.0
    while contrast(text, WHITE) < TEXT_CONTRAST:
        factor -= 0.05
        text = _darker(colour, factor)
    return Palette(brand=colour, brand_ink=ink, brand_text=text)
