"""What every portal page shows of the programme's branding (`accounts.Branding`)."""

from django.urls import reverse

from accounts.branding import palette, programme_name, support_text
from accounts.models import Branding


def branding(request) -> dict:
    current = Branding.current()
    logo_url = ""
    if current.has_logo:
        # The version in the address lets browsers keep the logo for good until it changes.
        logo_url = f"{reverse('portal:logo')}?v={int(current.updated_at.timestamp())}"
    return {
        "branding": {
            "name": programme_name(current),
            "logo_url": logo_url,
            "colours": palette(current.primary_colour),
            "support_text": support_text(current),
        }
    }
