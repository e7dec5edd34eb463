"""The merchant's main journey in headless Chromium: log in, file a threshold
promotion with two items, read the honest-price preview, submit, and find it
under "submitted"; and switch the interface to Chinese."""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from promotions.models import Promotion, PromotionStatus
from tests.factories import (
    FestivalFactory,
    MembershipFactory,
    ParticipationFactory,
    PricePointFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS")  # a folder: save screenshots there to look at them


def _shot(page, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def shop():
    membership = MembershipFactory(user=UserFactory(username="tea-shop"), merchant__name="West Lake Tea Co.")
    festival = FestivalFactory(name="Double Product 2026")
    ParticipationFactory(merchant=membership.merchant, festival=festival)
    products = []
    for sku, name in (("TEA-1", "Longjing green tea 250 g"), ("TEA-2", "Biluochun 100 g")):
        product = ProductFactory(merchant=membership.merchant, sku=sku, name=name)
        PricePointFactory(product=product, price=Decimal("100.00"), recorded_at=festival.starts_at - timedelta(days=3))
        products.append(product)
    return membership, festival, products


def _log_in(page, live_server):
    page.goto(live_server.url + "/merchant/login/")
    page.get_by_label("Username").fill("tea-shop")
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()
    # The portal's home, not the login page still on screen (it has a language switch too).
    page.wait_for_url(live_server.url + "/merchant/")


def test_file_a_threshold_promotion_preview_the_prices_and_submit(browser_page, live_server, shop):
    _membership, festival, products = shop
    page = browser_page
    start = festival.local(festival.starts_at).replace(second=0, microsecond=0) + timedelta(days=1)

    _log_in(page, live_server)
    page.get_by_role("link", name="New promotion").click()
    page.get_by_label("Title").fill("Spend 200, save 30 on tea")
    page.get_by_label("Kind").select_option("threshold")
    assert page.locator("#id_percent_off").is_hidden()
    page.get_by_label("Spend threshold (CNY)").fill("200")
    page.get_by_label("Amount off (CNY)").fill("30")
    page.locator("#id_starts_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_ends_at").fill((start + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_items-0-product").select_option(str(products[0].pk))
    page.locator("#id_items-0-promo_price").fill("80")
    page.locator("#id_items-1-product").select_option(str(products[1].pk))
    page.locator("#id_items-1-promo_price").fill("88.50")
    _shot(page, "1-promotion-form")
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("link", name="Check prices and submit").click()
    check_table = page.locator("#price-check")
    check_table.wait_for()
    _shot(page, "2-price-preview")
    preview_text = check_table.inner_text()
    page.get_by_role("button", name="Submit for review").click()
    page.locator("#promotion-status").wait_for()
    status_text = page.locator("#promotion-status").inner_text()
    page.get_by_role("link", name="Home").click()
    submitted_group = page.locator('[data-status="submitted"]')
    _shot(page, "3-home-submitted")

    assert "¥100.00" in preview_text and "20.00%" in preview_text and "11.50%" in preview_text
    assert preview_text.count("Pass") == 2
    assert status_text == "Submitted"
    assert "Spend 200, save 30 on tea" in submitted_group.inner_text()
    promotion = Promotion.objects.get()
    assert (promotion.status, promotion.kind, promotion.items.count()) == (PromotionStatus.SUBMITTED, "threshold", 2)


def test_a_failing_item_is_explained_in_the_preview(browser_page, live_server, shop):
    _membership, festival, products = shop
    page = browser_page
    start = festival.local(festival.starts_at).replace(second=0, microsecond=0) + timedelta(days=1)

    _log_in(page, live_server)
    page.goto(live_server.url + f"/merchant/promotions/new/{festival.pk}/")
    page.get_by_label("Title").fill("Tiny discount")
    page.get_by_label("Kind").select_option("percent_off")
    page.get_by_label("Percent off").fill("1")
    page.locator("#id_starts_at").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_ends_at").fill((start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_items-0-product").select_option(str(products[0].pk))
    page.locator("#id_items-0-promo_price").fill("99")
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("link", name="Check prices and submit").click()
    _shot(page, "4-price-preview-fail")

    assert "only 1.00% below the reference price" in page.locator("#price-check").inner_text()
    assert page.get_by_role("button", name="Submit for review").count() == 0


def test_switch_the_interface_to_chinese(browser_page, live_server, shop):
    page = browser_page

    _log_in(page, live_server)
    page.get_by_label("Language").select_option("zh-hans")
    page.wait_for_load_state()
    page.get_by_role("heading", name="促销活动").wait_for()
    _shot(page, "5-home-chinese")

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("link", name="商品").is_visible()
    page.get_by_label("语言").select_option("en")
    page.get_by_role("heading", name="Promotions").wait_for()
