"""In headless Chromium: the card a till's scanner reads at phone size, a Dutch profile save that
keeps the birth date, and a history dated by purchase. Screenshots in test-artifacts/."""

import datetime
import io

import pytest
from django.utils import timezone

from accounts.models import Member
from accounts.portal import login_link_create
from tests.browser import screenshot
from tests.factories import MemberFactory
from tests.helpers import buy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def sign_in(page, member):
    page.goto(f"{page.base_url}/login/link/{login_link_create(member=member)}/")
    page.click("#sign-in")
    page.wait_for_url(page.base_url + "/")


def decoded(png: bytes) -> set[tuple[str, str]]:
    """What a scanner reads in a screenshot: (format, text) of every code found."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return {(str(code.format), code.text) for code in found}


def box_and_drawing(page, selector: str) -> tuple[dict, dict]:
    return (
        page.locator(selector).bounding_box(),
        page.locator(f"{selector} svg").bounding_box(),
    )


def test_the_card_fills_its_box_at_phone_size_and_scans_as_the_card_number(page):
    # given a member signed in on a phone
    member = MemberFactory(language="nl")
    page.set_viewport_size(PHONE)
    sign_in(page, member)
    # when she opens her card
    page.goto(page.base_url + "/card/")
    # then the QR code and the barcode fill their boxes
    for selector in (".qr", ".barcode"):
        box, drawing = box_and_drawing(page, selector)
        assert drawing["width"] == pytest.approx(box["width"], abs=1)
        assert drawing["height"] == pytest.approx(box["height"], abs=1)
    assert page.locator(".barcode svg").bounding_box()["width"] >= 300
    # and a scanner reads both as her card number
    card = page.locator(".loyalty-card").screenshot()
    assert decoded(card) >= {("QR Code", member.card_number), ("Code 128", member.card_number)}
    screenshot(page, "portal-card-phone-scanned")

    # when she switches to the full-screen card for the scanner
    page.click("#scan-mode")
    page.wait_for_url("**/card/scan/")
    # then only the card is on a white page, larger, and it still scans
    assert page.locator("header").count() == 0
    assert page.locator(".scan-card .qr svg").bounding_box()["width"] >= 340
    assert decoded(page.screenshot()) >= {
        ("QR Code", member.card_number),
        ("Code 128", member.card_number),
    }
    screenshot(page, "portal-card-scan-phone")


def test_a_code_fills_its_box_and_scans(page):
    from tests.factories import RewardFactory
    from tests.helpers import issue

    member = MemberFactory(language="nl")
    issued = issue(member, RewardFactory(name_nl="Gratis koffie"))
    page.set_viewport_size(PHONE)
    sign_in(page, member)
    page.goto(f"{page.base_url}/codes/{issued.code}/")
    box, drawing = box_and_drawing(page, ".qr")
    assert drawing["width"] == pytest.approx(box["width"], abs=1)
    assert drawing["width"] >= 250
    assert ("QR Code", issued.code) in decoded(page.locator(".qr").screenshot())
    screenshot(page, "portal-code-detail-phone")


def test_saving_the_dutch_profile_keeps_the_birth_date(page):
    # given a Dutch member with a birth date
    member = MemberFactory(language="nl", birth_date=datetime.date(1960, 3, 7), phone=None)
    sign_in(page, member)
    page.goto(page.base_url + "/profile/")
    # then the date picker shows it
    assert page.input_value("#id_birth_date") == "1960-03-07"
    # when she only adds a phone number and saves
    page.fill("#id_phone", "06 12345678")
    page.click("form:has(#id_phone) button[type=submit]")
    page.wait_for_selector(".messages")
    # then the birth date is still there
    member.refresh_from_db()
    assert member.birth_date == datetime.date(1960, 3, 7)
    assert member.phone == "+31612345678"
    assert page.input_value("#id_birth_date") == "1960-03-07"
    screenshot(page, "portal-profile-desktop")


def made_days_ago(days_ago: int) -> datetime.datetime:
    """Local noon that many days ago; for today a minute ago (before noon, noon today would lie
    in the future, which the till API refuses)."""
    if not days_ago:
        return timezone.localtime(timezone.now() - datetime.timedelta(minutes=1))
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.mark.parametrize(("size", "name"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_the_history_and_chart_use_the_purchase_date(page, store, size, name):
    # given purchases made over three months, all posted by the till today
    member = MemberFactory(language="nl")
    made = [made_days_ago(days) for days in (0, 35, 70)]
    for index, moment in enumerate(made):
        buy(member, store, f"{10 * (index + 1)}.00", transaction_id=f"B{index}", occurred_at=moment)
    page.set_viewport_size(size)
    sign_in(page, member)
    # then the chart has a bar for each month
    assert page.locator(".chart rect.up").count() == 3
    # and its month labels are readable (at least 11 px high at either size)
    assert page.locator(".chart svg text").first.bounding_box()["height"] >= 11
    # and on a phone the menu takes one short band, not three lines
    assert page.locator("header.top").bounding_box()["height"] <= 100
    screenshot(page, f"portal-dashboard-{name}")

    # when she opens the history
    page.goto(page.base_url + "/history/")
    dates = page.locator("table.entries td.date").all_inner_texts()
    # then each purchase has the date it was made, Dutch months in lower case
    months = "jan feb mrt apr mei jun jul aug sep okt nov dec".split()
    assert dates == [f"{m.day} {months[m.month - 1]} {m.year}" for m in made]
    assert "Bedrag: €\xa030,00" in page.inner_text("main")

    # when she filters on the day of the oldest purchase
    oldest = made[-1].date().isoformat()
    page.fill("#id_date_from", oldest)
    page.fill("#id_date_to", oldest)
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**date_from=*")
    # then only that purchase is left
    assert page.locator("table.entries td.date").all_inner_texts() == [dates[-1]]
    screenshot(page, f"portal-history-{name}")


def test_signing_up_on_a_phone_shows_the_new_card_number(page):
    page.set_viewport_size(PHONE)
    page.goto(page.base_url + "/signup/")
    page.fill("#id_email", "noor@example.com")
    page.fill("#id_first_name", "Noor")
    page.click("main button[type=submit]")
    page.wait_for_url("**/signup/welcome/")
    number = Member.objects.get(email="noor@example.com").card_number
    assert page.inner_text("#card-number") == number
    assert ("Code 128", number) in decoded(page.locator(".barcode").screenshot())
    screenshot(page, "portal-welcome-phone")
