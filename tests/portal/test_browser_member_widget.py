"""The member widget on a shop's page of another origin, in headless Chromium: it calls the
member routes across origins with the token the shop's server minted, and shows the balance,
the tier progress and what the basket would earn, in Dutch or English, on a desktop and a
phone. Screenshots land in test-artifacts/screenshots/."""

import http.server
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest

from accounts.member_tokens import member_token_issue
from accounts.models import ApiScope
from accounts.services import api_key_create
from points.services import points_adjust
from tests.browser import screenshot
from tests.factories import EarningRuleFactory, MemberFactory, TierFactory, UserFactory
from tests.helpers import buy

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def shop_page(base_url: str, token: str, *, lang: str, basket: str = "") -> str:
    basket_attribute = f' basket-amount="{basket}"' if basket else ""
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop</title>
<script src="{base_url}/static/loyalty/member-widget.js" defer></script>
<style>body{{font-family:sans-serif;margin:16px}} main{{display:grid;gap:16px}}</style>
</head><body><main><h1>Winkelmandje</h1>
<loyalty-member-widget id="widget" token="{token}" lang="{lang}"{basket_attribute}>
</loyalty-member-widget></main></body></html>"""


@pytest.fixture
def shop():
    """The shop's web server: another origin (127.0.0.1 and its own port; the live server is
    localhost), serving the page it is given."""
    pages = {"html": ""}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(origin=f"http://127.0.0.1:{server.server_port}", pages=pages)
    finally:
        server.shutdown()
        server.server_close()


def open_shop(page, shop, html: str) -> None:
    shop.pages["html"] = html
    page.goto(f"{shop.origin}/basket")


@pytest.fixture
def anna(store):
    TierFactory(rank=1, threshold=0, name_nl="Brons", name_en="Bronze")
    TierFactory(rank=2, threshold=1000, name_nl="Zilver", name_en="Silver")
    EarningRuleFactory(kind="base_rate", points_per_unit=Decimal("1"))
    member = MemberFactory(first_name="Anna", language="nl")
    buy(member, store, "400.00")
    points_adjust(member=member, points=850, reason="welkom", actor=UserFactory())
    return member


def token_for(member, store) -> str:
    key = api_key_create(store=store, name="Web shop", scopes=[ApiScope.MEMBER_TOKENS]).api_key
    return member_token_issue(member=member, api_key=key).token


@pytest.mark.parametrize(
    ("viewport", "lang"),
    [({"width": 1280, "height": 800}, "nl"), ({"width": 390, "height": 844}, "en")],
    ids=["desktop-nl", "phone-en"],
)
def test_the_widget_shows_balance_tier_progress_and_basket_points(
    page, settings, shop, store, anna, viewport, lang
):
    # given the shop's page on its own origin, with a token its server got for Anna
    settings.MEMBER_API_ALLOWED_ORIGINS = [shop.origin]
    page.set_viewport_size(viewport)
    open_shop(
        page, shop, shop_page(page.base_url, token_for(anna, store), lang=lang, basket="34.40")
    )
    # then the widget shows her points, her tier's progress and what the basket earns
    widget = page.locator("loyalty-member-widget")
    balance = widget.locator(".balance")
    balance.wait_for()
    earn = widget.locator(".earn")
    earn.wait_for()
    assert balance.get_attribute("data-points") == "1250"
    assert earn.get_attribute("data-points-earned") == "34"
    progress = widget.locator("[role=progressbar]")
    assert progress.get_attribute("aria-valuenow") == "40"  # 400 of Silver's 1,000
    if lang == "nl":
        assert balance.inner_text() == "1.250 punten"
        assert "Nog 600 punten tot Zilver" in widget.locator(".card").inner_text()
        assert earn.inner_text() == "Met deze bestelling spaar je 34 punten"
    else:
        assert balance.inner_text() == "1,250 points"
        assert "600 points to Silver" in widget.locator(".card").inner_text()
        assert earn.inner_text() == "You'll earn 34 points with this order"
    screenshot(page, f"member-widget-{viewport['width']}-{lang}")


def test_the_widget_tells_when_its_token_no_longer_works(page, settings, shop, store, anna):
    # given a token for a member who is blocked meanwhile
    settings.MEMBER_API_ALLOWED_ORIGINS = [shop.origin]
    token = token_for(anna, store)
    anna.status = "blocked"
    anna.save(update_fields=["status"])
    open_shop(page, shop, shop_page(page.base_url, token, lang="nl"))
    # then the widget says so, without showing any number
    error = page.locator("loyalty-member-widget .error")
    error.wait_for()
    assert error.inner_text() == "Je punten kunnen nu niet worden geladen."
    assert page.locator("loyalty-member-widget .balance").count() == 0


def test_an_origin_not_configured_gets_nothing(page, settings, shop, store, anna):
    # given another shop's origin allowed, not this one: the browser itself refuses the answer
    settings.MEMBER_API_ALLOWED_ORIGINS = ["https://other-shop.example"]
    open_shop(page, shop, shop_page(page.base_url, token_for(anna, store), lang="en"))
    error = page.locator("loyalty-member-widget .error")
    error.wait_for()
    assert error.inner_text() == "Your points cannot be loaded right now."
