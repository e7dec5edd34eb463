"""The back office in headless Chromium: a reviewer approves a promotion; an organiser imports a bad CSV."""

import pytest

from festival.roles import ORGANISER_ADMIN, REVIEWER
from merchants.models import Merchant
from merchants.uscc import make_uscc
from promotions.models import PromotionStatus
from tests.admin_support import staff_user
from tests.factories import PromotionFactory, PromotionItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base_url, user):
    page.goto(base_url + "/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.wait_for_url(base_url + "/admin/")


def test_reviewer_approves_a_promotion_from_the_queue_and_sees_it_in_history(browser_page, live_server):
    reviewer = staff_user(REVIEWER, username="reviewer")
    promotion = PromotionFactory(submitted=True, title="Spring tea 20% off")
    PromotionItemFactory(promotion=promotion, check_status="pass", check_reasons=[])
    PromotionFactory(approved=True, title="Approved earlier")
    page = browser_page

    _log_in(page, live_server.url, reviewer)
    page.click("text=Promotions waiting for review")
    first_row = page.locator("#result_list tbody tr").first
    assert "Spring tea 20% off" in first_row.inner_text()
    assert "pass 1" in first_row.inner_text()
    first_row.locator("th a, td a").first.click()
    page.click(".decision-bar >> text=Approve")
    page.fill("textarea[name=note]", "Honest prices, approved.")
    page.click("input[type=submit][value=Approve]")

    page.wait_for_selector("ul.messagelist")
    assert "was approved" in page.locator("ul.messagelist").inner_text()
    history = page.locator("#events-group").inner_text()
    assert "Honest prices, approved." in history
    assert "Approved" in history and "reviewer" in history
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.APPROVED


def test_organiser_imports_a_csv_and_sees_the_bad_row(browser_page, live_server, tmp_path):
    organiser = staff_user(ORGANISER_ADMIN, username="organiser")
    good = make_uscc("91110108MA01AAAA1")
    csv_file = tmp_path / "merchants.csv"
    csv_file.write_text(
        "uscc,name,kind,country\n"
        f"{good},Daoxiangcun,brand_enterprise,CN\n"
        f"{good[:17]}{'0' if good[17] != '0' else '1'},Wrong check,brand_enterprise,CN\n",
        encoding="utf-8",
    )
    page = browser_page

    _log_in(page, live_server.url, organiser)
    page.click("text=Import merchants from a spreadsheet")
    page.set_input_files("input[name=import_file]", str(csv_file))
    page.select_option("select[name=format]", label="csv")
    page.click("input[type=submit]")

    page.wait_for_selector("text=Some rows failed to validate")
    errors = page.locator("table.import-preview, table").filter(has_text="check character").first
    assert "2" in errors.inner_text()
    assert "The check character of this Unified Social Credit Code is wrong" in page.content()
    assert page.locator("text=Confirm import").count() == 0
    assert not Merchant.objects.exists()
