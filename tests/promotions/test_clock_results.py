"""The nightly rollup of sales and promotion counts per festival day (festival time zone)."""

import zoneinfo
from datetime import date, datetime
from decimal import Decimal

import pytest

from festival.models import DailyResult, FestivalStatus
from promotions import results
from promotions.tasks import task_roll_up_daily_results
from tests import clock
from tests.factories import FestivalFactory, MerchantFactory, PromotionFactory, SalesReportFactory

pytestmark = pytest.mark.django_db

# The clock's tests run at each instant that could expose a time-of-day or date bug.
clock_at = clock.at_each_instant()

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def festival():
    return FestivalFactory(
        registration_opens_at=local(2026, 4, 1),
        registration_closes_at=local(2026, 4, 20),
        submission_deadline=local(2026, 4, 25),
        starts_at=local(2026, 4, 28, 0, 0),
        ends_at=local(2026, 4, 30, 23, 59, 59),
        status=FestivalStatus.RUNNING,
    )


def test_rollup_sums_sales_and_counts_promotions_per_local_day(festival):
    first, second = MerchantFactory(), MerchantFactory()
    SalesReportFactory(festival=festival, merchant=first, date=date(2026, 4, 28), gmv=Decimal("100.50"), orders=3)
    SalesReportFactory(festival=festival, merchant=second, date=date(2026, 4, 28), gmv=Decimal("0.25"), orders=1)
    SalesReportFactory(festival=festival, merchant=first, date=date(2026, 4, 29), gmv=Decimal("7.00"), orders=2)
    # live from local midnight of the 28th (16:00 UTC on the 27th) to 12:00 on the 29th
    PromotionFactory(
        festival=festival,
        ended=True,
        starts_at=local(2026, 4, 28),
        ends_at=local(2026, 4, 29, 12),
        went_live_at=local(2026, 4, 28),
        ended_at=local(2026, 4, 29, 12),
    )
    PromotionFactory(festival=festival, live=True, went_live_at=local(2026, 4, 29, 23, 59))
    PromotionFactory(festival=festival, approved=True)  # never live

    written = results.roll_up_daily_results(now=local(2026, 5, 1, 0, 10))

    rows = {
        r.date: (r.gmv, r.orders, r.merchants_reporting, r.promotions_live, r.promotions_started, r.promotions_ended)
        for r in DailyResult.objects.filter(festival=festival)
    }
    assert written == 3
    assert rows == {
        date(2026, 4, 28): (Decimal("100.75"), 4, 2, 1, 1, 0),
        date(2026, 4, 29): (Decimal("7.00"), 2, 1, 2, 1, 1),
        date(2026, 4, 30): (Decimal("0.00"), 0, 0, 1, 0, 0),
    }


def test_rollup_is_idempotent_and_picks_up_corrections(festival):
    report = SalesReportFactory(festival=festival, date=date(2026, 4, 28), gmv=Decimal("10.00"), orders=1)
    results.roll_up_daily_results(now=local(2026, 4, 29, 0, 10))
    report.gmv = Decimal("12.00")
    report.save()

    results.roll_up_daily_results(now=local(2026, 4, 29, 0, 10))

    assert DailyResult.objects.filter(festival=festival).count() == 2  # the 28th and the 29th so far
    assert DailyResult.objects.get(festival=festival, date=date(2026, 4, 28)).gmv == Decimal("12.00")


def test_rollup_leaves_planned_and_long_closed_festivals_alone(festival):
    FestivalFactory(status=FestivalStatus.REGISTRATION)
    old = FestivalFactory(
        registration_opens_at=local(2020, 4, 1),
        registration_closes_at=local(2020, 4, 20),
        submission_deadline=local(2020, 4, 25),
        starts_at=local(2020, 4, 28),
        ends_at=local(2020, 5, 10, 23, 59, 59),
        status=FestivalStatus.CLOSED,
    )

    task_roll_up_daily_results.apply()

    assert not DailyResult.objects.filter(festival=old).exists()
    assert DailyResult.objects.filter(festival=festival).count() == 3  # a running festival is always rolled up
