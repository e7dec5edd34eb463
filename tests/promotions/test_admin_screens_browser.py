"""The review queue in headless Chromium: decide, then "save and review next" opens the
next submitted promotion in queue order; the index shows the queue's count. No page
visited logs a console error."""

from datetime import timedelta

import pytest
from django.utils import timezone

from festival.roles import REVIEWER
from promotions.models import PromotionStatus
from tests.admin_support import staff_user
from tests.factories import PromotionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_save_and_review_next_walks_the_queue(browser_page, live_server):
    errors = []
    page = browser_page
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    reviewer = staff_user(REVIEWER, username="reviewer")
    now = timezone.now()
    first = PromotionFactory(submitted=True, title="Oldest in the queue", submitted_at=now - timedelta(days=3))
    PromotionFactory(submitted=True, title="Newest in the queue", submitted_at=now - timedelta(days=1))
    second = PromotionFactory(submitted=True, title="Second in the queue", submitted_at=now - timedelta(days=2))

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", reviewer.username)
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    assert page.locator(".queue-count").first.inner_text() == "3"

    page.goto(live_server.url + f"/admin/promotions/promotion/{first.pk}/change/")
    page.click(".decision-bar >> text=Approve")
    page.get_by_role("button", name="Save and review next").click()

    page.wait_for_url(live_server.url + f"/admin/promotions/promotion/{second.pk}/change/")
    assert "was approved" in page.locator("ul.messagelist").inner_text()
    assert "Second in the queue" in page.locator("#content").inner_text()
    first.refresh_from_db()
    assert first.status == PromotionStatus.APPROVED
    assert errors == []
