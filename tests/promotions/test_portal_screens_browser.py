"""The portal's screens in headless Chromium: the promotion form's live arithmetic,
withdraw's confirmation, and phones (390×844) without horizontal scroll. No page
visited logs a console error."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from promotions.models import CheckStatus, PromotionItem, PromotionStatus
from tests.factories import (
    FestivalFactory,
    MembershipFactory,
    ParticipationFactory,
    PricePointFactory,
    ProductFactory,
    PromotionFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop():
    membership = MembershipFactory(user=UserFactory(username="tea-shop"), merchant__name="West Lake Tea Co.")
    festival = FestivalFactory(name="Double Product 2026", min_discount_percent=Decimal("10"))
    ParticipationFactory(merchant=membership.merchant, festival=festival)
    products = []
    for sku, name in (("TEA-1", "Longjing green tea 250 g, spring harvest, gift box"), ("TEA-2", "Biluochun 100 g")):
        product = ProductFactory(merchant=membership.merchant, sku=sku, name=name)
        PricePointFactory(product=product, price=Decimal("100.00"), recorded_at=festival.starts_at - timedelta(days=3))
        products.append(product)
    return membership, festival, products


@pytest.fixture
def console_errors(browser_page):
    errors = []
    browser_page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    browser_page.on("pageerror", lambda error: errors.append(str(error)))
    yield errors
    assert errors == []


def _log_in(page, live_server):
    page.goto(live_server.url + "/merchant/login/")
    page.get_by_label("Username").fill("tea-shop")
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + "/merchant/")


WIDEST = """() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))
  .slice(0, 8)"""


def _no_horizontal_scroll(page):
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, page.evaluate(WIDEST)
    return fits


def test_the_promotion_form_fills_the_price_and_the_verdict_live(browser_page, live_server, shop, console_errors):
    _membership, festival, products = shop
    page = browser_page
    _log_in(page, live_server)
    page.goto(live_server.url + f"/merchant/promotions/new/{festival.pk}/")
    page.get_by_label("Kind").select_option("percent_off")
    page.locator("#id_percent_off").fill("20")
    page.locator("#id_items-0-product").select_option(str(products[0].pk))

    row = page.locator("[data-item-row]").first
    price = page.locator("#id_items-0-promo_price")
    expect(page.locator("#id_items-0-promo_price")).to_have_value("80.00")
    assert "¥100.00" in row.locator("[data-price-reference]").inner_text()
    verdict = row.locator("[data-price-verdict]")
    verdict.get_by_text("meets the festival's minimum").wait_for()

    # The terms change: the filled-in price follows them, and the verdict with it.
    page.locator("#id_percent_off").fill("5")
    expect(page.locator("#id_items-0-promo_price")).to_have_value("95.00")
    verdict.get_by_text("below the festival's minimum").wait_for()

    # The merchant's own price is kept and judged.
    price.fill("85")
    verdict.get_by_text("Lower than the ¥95.00 the terms give: allowed. Consumers pay ¥85.00").wait_for()
    page.locator("#id_percent_off").fill("15")
    verdict.get_by_text("meets the festival's minimum").wait_for()
    assert price.input_value() == "85"

    # A deeper price than the terms give is allowed, and the note says what consumers pay.
    page.locator("#id_percent_off").fill("20")
    price.fill("70")
    expect(verdict.locator(".verdict-note-info")).to_have_text(
        "Lower than the ¥80.00 the terms give: allowed. Consumers pay ¥70.00, a real discount of 30%."
    )
    expect(verdict).to_have_class(re.compile(r"\bverdict-pass\b"))

    # ... and the promotion is submitted with it; the check keeps the explanation for the reviewer.
    start = festival.local(festival.starts_at).replace(second=0, microsecond=0) + timedelta(days=1)
    page.get_by_label("Title").fill("Longjing, 20% off and the gift box for ¥70")
    page.locator("#id_starts_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_ends_at").fill((start + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("link", name="Check prices and submit").click()
    expect(page.locator("#price-check")).to_contain_text("A deeper discount than the terms give")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#promotion-status")).to_have_text("Submitted")
    item = PromotionItem.objects.get()
    assert (item.promo_price, item.check_status, item.real_discount_percent) == (
        Decimal("70.00"),
        CheckStatus.PASS,
        Decimal("30.00"),
    )
    assert item.check_reasons[0].startswith("A deeper discount than the terms give: 20% off")


def test_phones_have_no_horizontal_scroll(browser_page, live_server, shop, console_errors):
    _membership, festival, products = shop
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, live_server)
    page.goto(live_server.url + "/merchant/products/")
    assert _no_horizontal_scroll(page)
    page.goto(live_server.url + f"/merchant/promotions/new/{festival.pk}/")
    page.get_by_label("Kind").select_option("percent_off")
    page.locator("#id_percent_off").fill("20")
    page.locator("#id_items-0-product").select_option(str(products[0].pk))
    expect(page.locator("#id_items-0-promo_price")).to_have_value("80.00")
    assert _no_horizontal_scroll(page)


def test_withdraw_asks_for_confirmation_and_shows_the_reason_box_only_then(
    browser_page, live_server, shop, console_errors
):
    membership, festival, _products = shop
    promotion = PromotionFactory(merchant=membership.merchant, festival=festival, status=PromotionStatus.SUBMITTED)
    page = browser_page
    _log_in(page, live_server)
    page.goto(live_server.url + f"/merchant/promotions/{promotion.pk}/")
    reason = page.locator("#withdraw-note")
    assert reason.is_hidden()
    page.get_by_role("button", name="Withdraw…").click()
    reason.wait_for(state="visible")
    reason.fill("Stock sold out")

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Withdraw the promotion").click()
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.SUBMITTED

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Withdraw the promotion").click()
    page.get_by_text("The promotion was withdrawn.").wait_for()
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.WITHDRAWN
    assert promotion.events.last().note == "Stock sold out"
