"""In Chromium, the admin, the portal, the public home and the API docs load with no
Content Security Policy violation (nothing blocked, no console error)."""

import pytest

from tests.factories import FestivalFactory, MembershipFactory, ParticipationFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.browser


def _watch(page):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _log_in(page, url, username):
    page.goto(url)
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("pass-word-123")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_load_state("networkidle")


def test_pages_load_without_csp_violations(browser_page, live_server):
    festival = FestivalFactory()
    membership = MembershipFactory(user=UserFactory(username="tea-shop"))
    ParticipationFactory(merchant=membership.merchant, festival=festival)
    SuperuserFactory(username="boss")
    page = browser_page
    problems = _watch(page)

    for path in ("/", f"/festivals/{festival.slug}/", "/api/v1/docs/"):
        response = page.goto(live_server.url + path)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    assert page.locator(".swagger-ui").count() == 1, "Swagger UI started (its set-up script ran)"

    _log_in(page, live_server.url + "/merchant/login/", "tea-shop")
    for path in ("/merchant/", "/merchant/products/", "/merchant/api-keys/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")

    page.context.clear_cookies()
    _log_in(page, live_server.url + "/admin/login/", "boss")
    for path in (
        "/admin/",
        "/admin/promotions/promotion/",
        f"/admin/festival/festival/{festival.pk}/change/",
        f"/admin/promotions/promotion/dashboard/{festival.pk}/",
        "/admin/django_celery_beat/periodictask/add/",
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    page.screenshot(path="tests/artifacts/csp-admin.png")

    csp = [text for text in problems if "Content Security Policy" in text or "Refused to" in text]
    assert not csp, csp
    # (A missing favicon is a 404 console message, not a policy problem.)
    others = [text for text in problems if "status of 404" not in text]
    assert not others, others
