"""In headless Chromium: logged in as 浙江's reviewer, nothing of 四川分会场 shows — not in
the queue, its filters, a search, the dashboard's festival menu, nor by typing its URL; and
of the Post Bureau's data only 浙江省's (parcel reports, their dashboard, coverage)."""

import pytest
from django.contrib.auth import get_user_model

from tests.teams.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base_url, username):
    page.goto(base_url + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.wait_for_url(base_url + "/admin/")


def test_zhejiangs_reviewer_sees_nothing_of_sichuan(browser_page, live_server):
    world = build_world()
    user = get_user_model().objects.get(username="zj-reviewer")
    user.set_password("pass-word-123")
    user.save()
    sc_promotion = world.sides["sc"].objects["promotion"]
    page = browser_page

    _log_in(page, live_server.url, "zj-reviewer")
    index = page.content()
    page.goto(live_server.url + "/admin/promotions/promotion/")
    queue = page.locator("#content").inner_text()
    page.goto(live_server.url + "/admin/promotions/promotion/?q=SCMARK")
    searched = page.locator("#result_list").count()
    page.goto(live_server.url + "/admin/merchants/merchant/")
    merchants = page.locator("#content").inner_text()
    page.goto(live_server.url + "/admin/promotions/promotion/dashboard/")
    dashboard = page.locator("#content").inner_text()
    missing = page.goto(live_server.url + f"/admin/promotions/promotion/{sc_promotion.pk}/change/")
    page.goto(live_server.url + "/admin/logistics/parcelreport/")
    parcels = page.locator("#content").inner_text()
    page.goto(live_server.url + "/admin/logistics/parcelreport/dashboard/")
    parcel_dashboard = page.locator("#content").inner_text()
    page.goto(live_server.url + "/admin/logistics/coverage/")
    coverage = page.locator("#content").inner_text()
    sc_parcels = page.goto(
        live_server.url + f"/admin/logistics/parcelreport/{world.sides['sc'].objects['parcelreport'].pk}/change/"
    )

    assert "ZJMARK" in queue and "SCMARK" not in queue
    assert "SCMARK" not in index
    assert searched == 0  # no result table: nothing matches
    assert "Merchant ZJMARK" in merchants and "SCMARK" not in merchants
    assert "SCMARK" not in dashboard
    assert missing.status == 404
    assert "浙江省" in parcels and "四川省" not in parcels
    assert "四川省" not in parcel_dashboard and "SCMARK" not in parcel_dashboard
    assert "浙江省" in coverage and "四川省" not in coverage
    assert sc_parcels.status == 404
