"""Who sees and decides what: consumer by code, merchant, association, reviewer, viewer, anonymous.
Bodies are compared, not only status codes."""

import pytest
from django.test import Client

from reports.models import PriceReport, ReportStatus
from tests.factories import PriceReportFactory

from .helpers import association_user, merchant_user, reviewer_user, viewer_user

pytestmark = pytest.mark.django_db
S = ReportStatus
QUEUE = "/admin/reports/pricereport/"


@pytest.fixture
def report():
    return PriceReportFactory(email="secret-consumer@example.com", ip_hash="f" * 64, description="Fake discount")


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _decide(client, report, decision="uphold", note="Supported by the history."):
    return client.post(f"{QUEUE}{report.pk}/decide/{decision}/", {"note": note})


def test_consumer_with_the_code_sees_the_report_without_personal_data(report):
    body = _client().get(f"/reports/{report.code}/").content.decode()
    assert "Fake discount" in body and report.item.product.name in body
    assert "secret-consumer@example.com" not in body and report.ip_hash not in body


def test_association_sees_the_queue_the_email_and_decides(report):
    client = _client(association_user())
    queue = client.get(QUEUE)
    assert queue.status_code == 200 and report.promotion.title in queue.content.decode()
    page = client.get(f"{QUEUE}{report.pk}/change/").content.decode()
    assert "secret-consumer@example.com" in page
    assert f"{QUEUE}{report.pk}/decide/uphold/" in page
    assert 'data-report-chart="report-chart-' in page and f'id="report-chart-{report.pk}"' in page
    response = _decide(client, report)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == S.UPHELD and report.decision_note == "Supported by the history."


def test_association_decision_needs_a_note(report):
    client = _client(association_user())
    response = _decide(client, report, note="")
    assert response.status_code == 200 and "A note is required for this decision." in response.content.decode()
    report.refresh_from_db()
    assert report.status == S.RECEIVED


def test_association_cannot_decide_promotions(report):
    client = _client(association_user())
    page = client.get(f"/admin/promotions/promotion/{report.promotion_id}/change/").content.decode()
    assert "/decide/cancel/" not in page and "/decide/approve/" not in page
    response = client.post(f"/admin/promotions/promotion/{report.promotion_id}/decide/cancel/", {"note": "x"})
    assert response.status_code == 403
    report.promotion.refresh_from_db()
    assert report.promotion.status == "live"


@pytest.mark.parametrize("make_user", [reviewer_user, viewer_user])
def test_reviewers_and_viewers_see_reports_but_neither_decide_nor_see_the_email(report, make_user):
    client = _client(make_user())
    assert report.promotion.title in client.get(QUEUE).content.decode()
    page = client.get(f"{QUEUE}{report.pk}/change/").content.decode()
    assert "Fake discount" in page
    assert "secret-consumer@example.com" not in page
    assert "/decide/uphold/" not in page
    assert _decide(client, report).status_code == 403
    report.refresh_from_db()
    assert report.status == S.RECEIVED


def test_reviewer_confirms_a_requested_cancellation_through_the_promotion_decision(report):
    from reports import services

    services.decide_report(
        report, by=association_user(), upheld=True, note="Raised before.", request_cancellation=True, warn_merchant=True
    )
    client = _client(reviewer_user())
    response = client.post(
        f"/admin/promotions/promotion/{report.promotion_id}/decide/cancel/", {"note": "Upheld consumer report."}
    )
    assert response.status_code == 302
    report.promotion.refresh_from_db()
    assert report.promotion.status == "cancelled"


def test_anonymous_is_sent_to_the_login_everywhere_but_the_code_page(report):
    client = _client()
    for url in (QUEUE, f"{QUEUE}{report.pk}/change/", "/merchant/reports/", f"/merchant/reports/{report.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
        assert b"Fake discount" not in response.content
    assert _decide(client, report).status_code == 302
    report.refresh_from_db()
    assert report.status == S.RECEIVED


def test_merchant_sees_its_reports_without_email_and_answers_once(report):
    client = _client(merchant_user(report.merchant))
    listing = client.get("/merchant/reports/").content.decode()
    assert report.item.product.name in listing
    page = client.get(f"/merchant/reports/{report.pk}/").content.decode()
    assert "Fake discount" in page and "secret-consumer@example.com" not in page and report.code not in page
    assert "screenshot" not in page.lower()
    assert client.post(f"/merchant/reports/{report.pk}/", {"note": "Our price was stable."}).status_code == 302
    again = client.post(f"/merchant/reports/{report.pk}/", {"note": "Second answer"})
    assert again.status_code == 302
    report.refresh_from_db()
    assert report.merchant_answer == "Our price was stable."


def test_merchant_cannot_see_another_merchants_reports(report):
    other = PriceReportFactory()
    client = _client(merchant_user(report.merchant))
    assert other.item.product.name not in client.get("/merchant/reports/").content.decode()
    response = client.get(f"/merchant/reports/{other.pk}/")
    assert response.status_code == 404 and other.description.encode() not in response.content
    client.post(f"/merchant/reports/{other.pk}/", {"note": "Mine now"})
    other.refresh_from_db()
    assert other.merchant_answer == ""


def test_merchant_staff_cannot_open_the_admin_queue(report):
    client = _client(merchant_user(report.merchant))
    response = client.get(QUEUE)
    assert response.status_code == 302 and b"Fake discount" not in response.content


def test_admin_screenshot_is_for_staff_with_view_permission(report):
    from django.core.files.base import ContentFile

    report.screenshot.save("x.png", ContentFile(b"\x89PNG fake"), save=True)
    assert _client(viewer_user()).get(f"{QUEUE}{report.pk}/screenshot/").status_code == 200
    assert _client().get(f"{QUEUE}{report.pk}/screenshot/").status_code == 302
    assert _client(merchant_user(report.merchant)).get(f"{QUEUE}{report.pk}/screenshot/").status_code == 302
    assert PriceReport.objects.get(pk=report.pk).screenshot


def test_queue_lists_open_reports_first_then_oldest_first_with_counts():
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    decided_old = PriceReportFactory(upheld=True, created_at=now - timedelta(days=3))
    open_new = PriceReportFactory(created_at=now - timedelta(hours=1))
    open_old = PriceReportFactory(item=open_new.item, created_at=now - timedelta(days=2))
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from reports.admin import PriceReportAdmin

    request = RequestFactory().get(QUEUE)
    request.user = association_user()
    admin = PriceReportAdmin(PriceReport, site)
    rows = list(admin.get_queryset(request).order_by(*admin.get_ordering(request)))
    assert [r.pk for r in rows] == [open_old.pk, open_new.pk, decided_old.pk]
    assert [r.promotion_report_count for r in rows] == [2, 2, 1]


@pytest.mark.parametrize("count", [1, 8])
def test_queue_answers_with_a_bounded_number_of_queries(count, django_assert_num_queries):
    client = _client(association_user())
    for _ in range(count):
        PriceReportFactory()
    client.get(QUEUE)  # warm the session and permission caches
    with django_assert_num_queries(QUERIES):
        response = client.get(QUEUE)
    assert response.status_code == 200


QUERIES = 9  # one of them reads the user's teams and roles (festival/backends.py)
