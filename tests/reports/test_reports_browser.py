"""End to end in headless Chromium: a consumer reports an item from the public
page, the association upholds it, and the consumer's status page and the
merchant's portal show the outcome."""

from pathlib import Path

import pytest

from reports.models import PriceReport, ReportStatus

from .helpers import association_user, live_item, merchant_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def test_consumer_reports_association_upholds_consumer_and_merchant_see_the_outcome(browser_page, live_server):
    item = live_item(prices=[("100.00", 3)])
    association = association_user()
    merchant = merchant_user(item.promotion.merchant, username="tea-shop")
    page = browser_page
    base = live_server.url

    # The consumer, from the public promotion page.
    page.goto(f"{base}/promotions/{item.promotion_id}/")
    page.get_by_role("link", name="Report a price problem").first.click()
    page.get_by_label("The price at checkout differs").check()
    page.get_by_label("The price you saw (¥)").fill("95.00")
    page.get_by_label("When you saw it").fill("2026-11-26T12:30")
    page.get_by_label("Describe what happened").fill("The checkout asked 95, not 80.")
    page.get_by_label("Your email (optional)").fill("ann@example.com")
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_url(f"{base}/reports/**")
    status_url = page.url
    assert page.locator("[data-report-status]").inner_text() == "Received"
    report = PriceReport.objects.get()
    assert report.proposed_finding == "supported"

    # The association, in the admin queue.
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", association.username)
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.goto(f"{base}/admin/reports/pricereport/")
    page.locator("#result_list tbody tr").first.locator("th a, td a").first.click()
    page.wait_for_selector("canvas[data-report-chart]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-admin.png"), full_page=True)
    page.click(".decision-bar >> text=Uphold and warn the merchant")
    page.fill("textarea[name=note]", "The checkout price is above the declared promotional price.")
    page.click("input[type=submit][value='Uphold and warn the merchant']")
    page.wait_for_selector("ul.messagelist")
    report.refresh_from_db()
    assert report.status == ReportStatus.UPHELD and report.merchant_warned

    # The consumer's status page.
    page.goto(status_url)
    assert page.locator("[data-report-status]").inner_text() == "Upheld"
    assert "The merchant has been warned." in page.locator("[data-outcome]").inner_text()

    # The merchant's portal.
    page.context.clear_cookies()
    page.goto(f"{base}/merchant/login/")
    page.get_by_label("Username").fill(merchant.username)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Consumer reports").click()
    page.locator("table a").first.click()
    outcome = page.locator("[data-outcome]").inner_text()
    assert "Upheld" in outcome and "You have been warned." in outcome
    assert "ann@example.com" not in page.content()
