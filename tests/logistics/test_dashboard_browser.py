"""The logistics dashboard in headless Chromium: the Post bureau opens it from the admin index,
the charts are drawn (Chart.js from our static files, under the CSP), the lift is shown and a
carrier's missing day is listed as a gap."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from festival.roles import POST_BUREAU
from logistics.models import ParcelReport
from logistics.periods import baseline_before, festival_period
from tests.admin_support import staff_user
from tests.factories import CarrierFactory, CoverageFactory

from .conftest import first_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _seed(festival):
    carriers = [CarrierFactory(code="SF"), CarrierFactory(code="ZTO")]
    own = festival_period(festival)
    missed = first_day(festival) + timedelta(days=3)
    reports = []
    for carrier in carriers:
        for day in baseline_before(festival).days + own.days:
            if (carrier.code, day) == ("ZTO", missed):
                continue
            collected = 1500 if day in own else 1000
            for province in ("330000", "440000", "510000"):
                reports.append(
                    ParcelReport(
                        carrier=carrier,
                        date=day,
                        province_id=province,
                        collected=collected,
                        delivered=collected,
                        rural_collected=collected // 8,
                        rural_delivered=collected // 5,
                        channel="api",
                    )
                )
    ParcelReport.objects.bulk_create(reports)
    CoverageFactory(province_id="330000", date=own.first)
    CoverageFactory(province_id="510000", date=own.first, townships=3101, townships_served=2900)
    return missed


def test_the_post_bureau_sees_the_lift_the_charts_and_the_gap(browser_page, live_server, festival):
    missed = _seed(festival)
    bureau = staff_user(POST_BUREAU, username="bureau")
    page = browser_page
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", bureau.username)
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.click("text=Logistics dashboard")

    expect(page.locator("h1")).to_contain_text("Logistics")
    expect(page.locator('[data-figure="lift"] .figure')).to_have_text("1.50×")
    for chart in ("parcels_per_day", "rural_share_per_day", "top_provinces", "coverage"):
        expect(page.locator(f'canvas[data-chart="{chart}"]')).to_have_attribute("data-drawn", "1")
    gap = page.locator('#gaps tr[data-carrier="ZTO"]')
    expect(gap).to_contain_text(missed.isoformat())
    expect(page.locator('#gaps tr[data-carrier="SF"]')).to_have_count(0)
    expect(page.locator('[data-figure="gaps"] .figure')).to_have_text("1")
    page.click("text=Show the figures per day as a table")
    expect(page.locator("tr.incomplete")).to_have_count(1)
    assert problems == []
