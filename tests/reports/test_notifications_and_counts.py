"""Mails (once, translated templates, no personal data to merchants), the daily digest and the public counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from reports import notifications, selectors, services
from tests.factories import PriceReportFactory

from .helpers import association_user, live_item

pytestmark = pytest.mark.django_db


def _file(item, email="ann@example.com"):
    return services.file_report(
        item=item,
        reason="checkout_differs",
        seen_price=Decimal("95.00"),
        seen_at=timezone.now() - timedelta(hours=1),
        description="Checkout said 95.",
        email=email,
        ip="203.0.113.9",
    )[0]


def test_filing_mails_the_consumer_a_receipt_and_the_merchant_without_personal_data(
    mailoutbox, django_capture_on_commit_callbacks
):
    item = live_item()
    with django_capture_on_commit_callbacks(execute=True):
        report = _file(item)
    consumer = [m for m in mailoutbox if m.to == ["ann@example.com"]]
    merchant = [m for m in mailoutbox if "ann@example.com" not in m.to]
    assert len(consumer) == 1 and f"/reports/{report.code}/" in consumer[0].body
    assert len(merchant) == 1 and f"/merchant/reports/{report.pk}/" in merchant[0].body
    assert "ann@example.com" not in merchant[0].body and report.code not in merchant[0].body
    assert notifications.notify_event("report.received", report.pk) == 0  # sent once


def test_decision_mails_both_once(mailoutbox, django_capture_on_commit_callbacks):
    report = _file(live_item())
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_report(report, by=association_user(), upheld=True, note="The history shows a raise.")
    assert len(mailoutbox) == 2
    assert all("The history shows a raise." in m.body for m in mailoutbox)
    assert notifications.notify_event("report.upheld", report.pk) == 0


def test_no_email_no_consumer_mail(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _file(live_item(), email="")
    assert len(mailoutbox) == 1  # the merchant only


def test_digest_goes_to_the_association_once_a_day(mailoutbox):
    association_user()
    PriceReportFactory()
    PriceReportFactory(upheld=True)
    now = timezone.now()
    assert notifications.send_association_digest(now=now) == 1
    assert notifications.send_association_digest(now=now + timedelta(hours=1)) == 0
    assert "1 consumer report waits" in mailoutbox[0].subject


def test_no_digest_when_nothing_is_open(mailoutbox):
    association_user()
    PriceReportFactory(dismissed=True)
    assert notifications.send_association_digest() == 0


def test_public_counts_and_upheld_per_merchant():
    item = live_item()
    festival = item.promotion.festival
    now = timezone.now()
    PriceReportFactory(item=item)
    PriceReportFactory(item=item, upheld=True, created_at=now - timedelta(hours=4), decided_at=now)
    PriceReportFactory(item=item, dismissed=True, created_at=now - timedelta(hours=2), decided_at=now)
    PriceReportFactory(upheld=True)  # another festival
    counts = selectors.public_report_counts(festival)
    assert counts == {"received": 3, "upheld": 1, "dismissed": 1, "open": 1, "median_decision": timedelta(hours=3)}
    assert selectors.upheld_count(item.promotion.merchant, festival) == 1


def test_public_counts_template_renders_the_numbers():
    from django.template.loader import render_to_string

    html = render_to_string(
        "reports/_public_counts.html",
        {"report_counts": {"received": 3, "upheld": 1, "dismissed": 1, "median_decision": timedelta(hours=3)}},
    )
    assert 'data-count="received">3<' in html and 'data-count="median">3\xa0hours<' in html


@pytest.mark.parametrize(
    ("median", "english", "chinese"),
    [
        (timedelta(days=1, hours=4, minutes=20), "1\xa0day, 4\xa0hours", "1\xa0日，4\xa0小时"),
        (timedelta(minutes=45), "45\xa0minutes", "45\xa0分钟"),
    ],
)
def test_median_time_to_decision_reads_as_words_in_both_languages(median, english, chinese):
    from django.template.loader import render_to_string
    from django.utils import translation

    context = {"report_counts": {"received": 1, "upheld": 1, "dismissed": 0, "median_decision": median}}
    assert f'data-count="median">{english}<' in render_to_string("reports/_public_counts.html", context)
    with translation.override("zh-hans"):
        assert f'data-count="median">{chinese}<' in render_to_string("reports/_public_counts.html", context)


def test_digest_task_is_scheduled_daily():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.select_related("crontab").get(task="reports.send_association_digest")
    assert (task.crontab.minute, task.crontab.hour, task.enabled) == ("30", "8", True)
