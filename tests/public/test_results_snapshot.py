"""A closed festival's results are counted once and kept (public.models.ResultsSnapshot):
the page reads the snapshot, recounted at most hourly while late sales reports are still
accepted, then never (issue 17: the results page read every item of a national festival)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from promotions.results import LATE_REPORT_DAYS
from public import selectors
from public.models import ResultsSnapshot
from tests.factories import FestivalFactory, ParticipationFactory, SalesReportFactory
from tests.public.conftest import live_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def just_closed():
    """A festival that ended two days ago: merchants may still correct their sales."""
    now = timezone.now()
    return FestivalFactory(
        slug="just-closed",
        registration_opens_at=now - timedelta(days=40),
        registration_closes_at=now - timedelta(days=30),
        submission_deadline=now - timedelta(days=29),
        starts_at=now - timedelta(days=12),
        ends_at=now - timedelta(days=2),
        status="closed",
    )


def _report(festival, gmv):
    participation = ParticipationFactory(festival=festival, status="approved")
    return SalesReportFactory(festival=festival, merchant=participation.merchant, gmv=Decimal(gmv), orders=10)


def _gmv(client, festival):
    cache.clear()  # the page cache is not what is tested here
    body = client.get(reverse("public:results_json", args=[festival.slug])).json()
    return sum(Decimal(day["gmv"]) for day in body["sales_by_day"])


def test_the_results_are_counted_once_then_read_from_the_snapshot(client, just_closed):
    live_item(just_closed, status="ended")
    _report(just_closed, "100.00")
    url = reverse("public:results", args=[just_closed.slug])

    first = client.get(url)
    cache.clear()
    with CaptureQueriesContext(connection) as again:
        second = client.get(url)

    assert ResultsSnapshot.objects.get(festival=just_closed).figures["items_checked"] == 1
    assert first.context["results"].as_json() == second.context["results"].as_json()
    read = " ".join(q["sql"] for q in again.captured_queries)
    assert "promotions_promotionitem" not in read and "merchants_salesreport" not in read


def test_a_late_sales_report_shows_after_the_hourly_recount(client, just_closed):
    _report(just_closed, "100.00")
    assert _gmv(client, just_closed) == Decimal("100.00")
    _report(just_closed, "50.00")  # a late report, within LATE_REPORT_DAYS

    assert _gmv(client, just_closed) == Decimal("100.00")  # the snapshot, until it is an hour old
    with time_machine.travel(timezone.now() + selectors.RESULTS_RECOUNT_AFTER, tick=False):
        assert _gmv(client, just_closed) == Decimal("150.00")


def test_after_the_late_reports_window_the_snapshot_is_kept(client, just_closed):
    _report(just_closed, "100.00")
    assert _gmv(client, just_closed) == Decimal("100.00")
    _report(just_closed, "50.00")

    with time_machine.travel(timezone.now() + timedelta(days=LATE_REPORT_DAYS), tick=False):
        assert _gmv(client, just_closed) == Decimal("100.00")


def test_the_downloads_read_the_same_snapshot_as_the_page(client, just_closed):
    _report(just_closed, "100.00")
    client.get(reverse("public:results", args=[just_closed.slug]))
    ResultsSnapshot.objects.filter(festival=just_closed).update(
        figures={**ResultsSnapshot.objects.get(festival=just_closed).figures, "items_checked": 7, "items_passed": 7}
    )
    cache.clear()

    body = client.get(reverse("public:results_csv", args=[just_closed.slug])).content.decode()

    assert "honest_price_check,items_checked,7" in body
