"""The shop's own branding: set once in admin, seen on every portal page and in every message."""

import io
from unittest import mock

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.branding import contrast, palette
from accounts.models import Branding
from accounts.portal import login_link_send
from campaigns.models import Delivery
from campaigns.services import deliveries_fulfil, delivery_send
from loyalty_site import roles
from tests.factories import AutomationFactory, MemberFactory
from tests.staff.helpers import login

pytestmark = pytest.mark.django_db

BRANDING_URL = "/admin/accounts/branding/1/change/"


def _png(size=(120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#C8102E").save(buffer, format="PNG")
    return buffer.getvalue()


def _form(**changes) -> dict:
    data = {
        "programme_name": "Koffieclub",
        "primary_colour": "#C8102E",
        "sender_name": "",
        "sender_email": "",
        "support_text_nl": "Vragen? Bel 020 123 45 67.",
        "support_text_en": "Questions? Call 020 123 45 67.",
    }
    return {**data, **changes}


def _save(client, **changes):
    """Opens the branding as staff do (from the admin's list, which creates the row) and saves."""
    opened = client.get(reverse("admin:accounts_branding_changelist"))
    assert opened.status_code == 302
    assert opened["Location"] == BRANDING_URL
    return client.post(BRANDING_URL, _form(**changes))


def _brand(**fields) -> Branding:
    branding = Branding.current()
    for name, value in fields.items():
        setattr(branding, name, value)
    branding.save()
    return branding


def test_without_branding_the_portal_is_the_loyalty_programme(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="nl")
    html = response.content.decode()
    assert "<title>" in html
    assert "· Spaarprogramma</title>" in html
    assert "--brand: #0F5132;" in html
    assert "Vragen? Stel ze gerust in een van onze winkels." in html


def test_marketing_sets_the_name_colour_support_text_and_logo_and_every_page_shows_them(client):
    # given marketing staff
    login(client, roles.MARKETING)
    # when they save the branding with a logo
    response = _save(
        client, logo_upload=SimpleUploadedFile("logo.png", _png(), content_type="image/png")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # then the portal carries the name, colour, logo and support text
    client.logout()
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "· Koffieclub</title>" in html
    assert 'class="brand"' in html
    assert "Koffieclub</a>" in html
    assert "--brand: #C8102E; --brand-ink: #FFFFFF;" in html
    assert "Vragen? Bel 020 123 45 67." in html
    logo_url = reverse("portal:logo")
    assert f'src="{logo_url}?v=' in html
    logo = client.get(logo_url)
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"
    assert logo.content == _png()
    assert "immutable" in logo["Cache-Control"]
    # and the English page has the English support text
    client.cookies.load({"django_language": "en"})
    assert "Questions? Call 020 123 45 67." in client.get("/login/").content.decode()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile(
                "logo.svg",
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            ),
            "Upload een geldige afbeelding",
        ),
        (SimpleUploadedFile("logo.png", b"not an image"), "Upload een geldige afbeelding"),
    ],
    ids=["svg", "not_an_image"],
)
def test_a_logo_that_is_not_a_picture_is_refused_and_nothing_is_saved(client, upload, message):
    login(client, superuser=True)
    response = _save(client, logo_upload=upload)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Branding.current().programme_name == ""
    assert client.get(reverse("portal:logo")).status_code == 404


def test_a_logo_over_512_kb_is_refused(client):
    login(client, superuser=True)
    huge = SimpleUploadedFile("logo.png", _png(), content_type="image/png")
    with mock.patch("accounts.admin.LOGO_MAX_BYTES", 100):
        response = _save(client, logo_upload=huge)
    assert response.status_code == 200
    assert "hoogstens 512 kB" in response.content.decode()
    assert not Branding.objects.filter(programme_name="Koffieclub").exists()


def test_a_colour_that_is_not_hex_is_a_form_error(client):
    login(client, superuser=True)
    response = _save(client, primary_colour="red")
    assert response.status_code == 200
    assert "Gebruik een kleur zoals #0F5132." in response.content.decode()


def test_the_logo_can_be_removed(client):
    login(client, superuser=True)
    _save(client, logo_upload=SimpleUploadedFile("l.png", _png()))
    assert client.get(reverse("portal:logo")).status_code == 200
    _save(client, logo_remove="on")
    assert client.get(reverse("portal:logo")).status_code == 404
    assert "?v=" not in client.get("/login/").content.decode()


def test_the_programme_settings_link_to_the_branding(client):
    login(client, superuser=True)
    html = client.get(reverse("admin:points_loyaltyprogram_change", args=[1])).content.decode()
    assert reverse("admin:accounts_branding_changelist") in html


@pytest.mark.parametrize(
    "colour", ["#FFD700", "#00A0E2", "#777777", "#FFFFFF", "#0F5132", "#000000", "#E30613"]
)
def test_any_primary_colour_gives_readable_text_and_links(colour):
    colours = palette(colour)
    assert contrast(colours.brand, colours.brand_ink) >= 4.5
    assert contrast(colours.brand_text, "#FFFFFF") >= 4.5
    assert colours.brand == colour


def test_a_light_colour_gets_black_text_and_darker_links():
    colours = palette("#ffd700")
    assert colours == palette("#FFD700")
    assert colours.brand_ink == "#000000"
    assert colours.brand_text != "#FFD700"


def test_the_sign_in_mail_comes_from_the_programme_in_the_members_language():
    _brand(
        programme_name="Koffieclub",
        sender_name="Koffieclub Nederland",
        sender_email="k@koffie.nl",
        primary_colour="#FFD700",
    )
    member = MemberFactory(email="anna@example.com", language="nl")
    login_link_send(member_id=member.pk, link="https://example.com/login/link/abc/")
    message = mail.outbox[-1]
    assert message.from_email == "Koffieclub Nederland <k@koffie.nl>"
    assert message.subject == "Je inloglink voor Koffieclub"
    assert "Koffieclub" in message.body
    html = message.alternatives[0][0]
    assert "background: #FFD700; color: #000000" in html  # the sign-in button in the shop's colour


def test_without_a_sender_the_mail_comes_from_the_programme_name_at_the_default_address(settings):
    settings.DEFAULT_FROM_EMAIL = "loyalty@example.com"
    member = MemberFactory(email="anna@example.com", language="en")
    login_link_send(member_id=member.pk, link="https://example.com/login/link/abc/")
    assert mail.outbox[-1].from_email == "Loyalty programme <loyalty@example.com>"
    assert mail.outbox[-1].subject == "Your sign-in link for Loyalty programme"


def test_campaign_messages_come_from_and_are_signed_by_the_programme():
    _brand(programme_name="Koffieclub", sender_email="klant@koffie.nl")
    automation = AutomationFactory(trigger="welcome", days=None)
    member = MemberFactory(email_consent_at=timezone.now(), language="nl")
    delivery = Delivery.objects.create(automation=automation, member=member, period_key="welcome")
    deliveries_fulfil([delivery.pk])
    assert delivery_send(delivery.pk) == "sent"
    message = mail.outbox[-1]
    assert message.from_email == "Koffieclub <klant@koffie.nl>"
    assert "Het Koffieclub-team" in message.body
