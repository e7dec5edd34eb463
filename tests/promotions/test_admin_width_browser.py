"""The organiser admin at 1366 px in Chinese, the width an office laptop gives: the
review queue's and the merchant list's columns show their whole text (the submission
time, the contact email), nothing is clipped and the page never scrolls sideways."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.factories import MerchantFactory, PromotionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every cell of the changelist whose content is wider than the cell itself (text cut
# off by overflow rules), the table's scrolling box (Django's .results scrolls sideways
# rather than grow the page) and the page's own horizontal overflow.
LAYOUT = """() => {
  const cells = [...document.querySelectorAll('#result_list td, #result_list th')];
  const clipped = cells.filter((cell) => cell.scrollWidth > cell.clientWidth + 1).map((cell) => cell.className + ': ' + cell.innerText);
  const results = document.querySelector('.results');
  return {
    clipped,
    tableScrolls: results.scrollWidth > results.clientWidth + 1,
    pageWider: document.documentElement.scrollWidth > window.innerWidth,
  };
}"""


@pytest.fixture
def chinese_superuser(browser_page, live_server):
    get_user_model().objects.create_superuser("organiser", "organiser@example.com", "pass-word-123")
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "organiser")
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    return page


@pytest.mark.parametrize(
    "path", ["/admin/promotions/promotion/", "/admin/merchants/merchant/", "/admin/merchants/participation/"]
)
def test_changelists_fit_1366px_without_clipping(chinese_superuser, live_server, path):
    now = timezone.now()
    merchant = MerchantFactory(
        name="北京稻香村食品有限责任公司中华老字号旗舰店",
        contact_email="festival-promotions-department@daoxiangcun-beijing.example.com.cn",
    )
    for days in range(3):
        PromotionFactory(
            merchant=merchant,
            submitted=True,
            title="双品网购节中华老字号糕点礼盒限时满减特惠活动第二波",
            submitted_at=now - timedelta(days=days, hours=7, minutes=13),
        )
    page = chinese_superuser
    page.goto(live_server.url + path)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("#result_list tbody tr").count() >= 1
    layout = page.evaluate(LAYOUT)
    assert layout == {"clipped": [], "tableScrolls": False, "pageWider": False}
