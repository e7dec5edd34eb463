"""The public site as a consumer uses it, in headless Chromium: home, filter by
time-honoured brands, search a Chinese word, a promotion's badge and price
chart, switch to English, an ended festival's results and its CSV, and a phone
screen without horizontal scrolling. Screenshots go to tests/artifacts/."""

import re
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import (
    CategoryFactory,
    CertificateFactory,
    MerchantFactory,
    PricePointFactory,
    ProductFactory,
    SalesReportFactory,
)
from tests.public.conftest import live_item


def wait_until(page, script, *, seconds=10.0):
    """Poll ``script`` with page.evaluate: Playwright's wait_for_function compiles its
    predicate with eval inside the page, which our Content Security Policy refuses."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"timed out waiting for {script}"
        page.wait_for_timeout(100)


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture
def site(running_festival, closed_festival):
    """The page cache is on (tests/public/conftest.py), as in production."""
    running, closed = running_festival, closed_festival
    brands = CategoryFactory(name="中华老字号", name_en="Time-honoured brands", slug="brands")
    old = MerchantFactory(name="杭州老茶号")
    CertificateFactory(merchant=old, kind="time_honoured", number="TH-1", verified=True)
    tea = ProductFactory(merchant=old, name="西湖龙井茶 250克")
    for days, price in ((20, "139.00"), (9, "135.00"), (4, "129.00")):
        PricePointFactory(product=tea, price=price, recorded_at=running.starts_at - timedelta(days=days))
    item = live_item(
        running,
        title="老字号龙井节",
        merchant=old,
        product=tea,
        category=brands,
        promo_price=Decimal("105.70"),
        reference_price=Decimal("129.00"),
        real_discount_percent=Decimal("18.06"),
    )
    for i in range(5):
        live_item(running, title=f"Platform sale {i}", merchant=MerchantFactory(kind="comprehensive_platform"))
    ended = live_item(closed, title="Last year sale", status="ended")
    for day in range(3):
        SalesReportFactory(
            merchant=ended.promotion.merchant,
            festival=closed,
            date=closed.local(closed.starts_at).date() + timedelta(days=day),
            gmv=Decimal("1000.00") * (day + 1),
        )
    return {"running": running, "closed": closed, "item": item}


def _no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_consumer_finds_a_real_discount_and_reads_the_results(browser_page, live_server, site, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser_page
    page.goto(live_server.url + "/?lang=zh-hans")
    assert page.locator("h1").first.inner_text() == "双品网购节 2026"
    page.screenshot(path=str(ARTIFACTS / "public-home.png"), full_page=True)

    # filter by time-honoured brands
    page.get_by_role("link", name="全部促销活动").click()
    page.get_by_label("认证类型").select_option("time_honoured")
    page.get_by_role("button", name="显示").click()
    # expect() waits for the page the click loads; reading at once may catch the old one
    expect(page.locator(".promo-card h3")).to_have_text(["老字号龙井节"])

    # search a Chinese word
    page.get_by_label("认证类型").select_option("")
    page.get_by_label("搜索").fill("龙井")
    page.get_by_role("button", name="显示").click()
    expect(page).to_have_url(re.compile(r"q=%E9%BE%99%E4%BA%95"))
    expect(page.locator(".promo-card h3")).to_have_text(["老字号龙井节"])

    # open the promotion, read its badge, open the "?" and see the chart
    page.get_by_role("link", name="老字号龙井节").click()
    badge = page.locator(".honest-badge .badge-text").first
    expect(badge).to_have_text("近7天最低 ¥129.00 → 活动价 ¥105.70 · 约8.2折")
    page.locator(".badge-help summary").first.click()
    assert page.locator(".badge-help p").first.is_visible()
    wait_until(page, "() => !!(window.Chart && Chart.getChart(document.querySelector('[data-price-chart]')))")
    points = page.evaluate(
        "Chart.getChart(document.querySelector('[data-price-chart]')).data.datasets[0].data.filter(v => v !== null)"
    )
    assert points == [139, 135, 129]
    page.screenshot(path=str(ARTIFACTS / "public-promotion.png"), full_page=True)

    # switch to English
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".honest-badge .badge-text").first).to_have_text("7-day low ¥129.00 → now ¥105.70 · 18% off")

    # an ended festival's results and its CSV
    page.goto(live_server.url + "/festivals/dp-2020/results/")
    expect(page.locator("h1")).to_contain_text("Results")
    wait_until(page, "() => !!(window.Chart && Chart.getChart(document.querySelector('[data-sales-chart]')))")
    page.screenshot(path=str(ARTIFACTS / "public-results.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    target = tmp_path / "results.csv"
    download_info.value.save_as(target)
    rows = target.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "section,key,value"
    assert "promotions_by_kind,percent_off,1" in rows


def test_on_a_phone_no_page_scrolls_sideways(browser_page, live_server, site):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    item = site["item"]
    for path in (
        "/?lang=zh-hans",
        "/festivals/dp-2026/promotions/",
        f"/promotions/{item.promotion_id}/",
        "/merchants/",
        f"/merchants/{item.promotion.merchant_id}/",
        "/festivals/dp-2020/results/",
        "/no-such-page/",
        f"/promotions/{item.promotion_id}/?lang=en",
    ):
        page.goto(live_server.url + path)
        assert _no_horizontal_scroll(page), path
    page.goto(live_server.url + f"/promotions/{item.promotion_id}/")
    page.screenshot(path=str(ARTIFACTS / "public-promotion-phone.png"), full_page=True)
