"""The logistics dashboard: lift against the baseline, rural share, gaps (a carrier that has
not reported a day is a gap, never a zero), coverage, and a bounded number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from festival.models import Province
from festival.roles import POST_BUREAU, VIEWER
from logistics.dashboard import logistics_dashboard
from logistics.models import Carrier, ParcelReport
from logistics.periods import baseline_before, festival_period
from tests.admin_support import client_for, staff_user
from tests.factories import CarrierFactory, CoverageFactory, ParcelReportFactory

from .conftest import first_day

pytestmark = pytest.mark.django_db


def _fill(festival, carriers, *, provinces=("330000", "440000"), festival_collected=1500, baseline_collected=1000):
    shown = baseline_before(festival).days + festival_period(festival).days
    own = festival_period(festival)
    for carrier in carriers:
        for day in shown:
            for province in provinces:
                collected = festival_collected if day in own else baseline_collected
                ParcelReportFactory(
                    carrier=carrier,
                    date=day,
                    province_id=province,
                    collected=collected,
                    delivered=collected,
                    rural_collected=collected // 10,
                    rural_delivered=collected // 10,
                )


def test_the_lift_compares_festival_days_with_as_many_days_before(festival, carrier, other_carrier):
    _fill(festival, [carrier, other_carrier])

    dashboard = logistics_dashboard(festival)

    assert len(dashboard.days) == 26
    assert dashboard.baseline.last == first_day(festival) - timedelta(days=1)
    assert dashboard.festival_per_day == 6000 and dashboard.baseline_per_day == 4000
    assert str(dashboard.lift) == "1.50"
    assert str(dashboard.festival_rural_share) == "10.0"
    assert dashboard.gaps == [] and dashboard.incomplete_days == 0
    assert [row.province.code for row in dashboard.provinces] == ["330000", "440000"]


def test_a_carrier_that_has_not_reported_a_day_is_a_gap_never_a_zero(festival, carrier, other_carrier):
    _fill(festival, [carrier, other_carrier])
    missed = first_day(festival) + timedelta(days=2)
    ParcelReport.objects.filter(carrier=other_carrier, date=missed).delete()
    silent = CarrierFactory(code="JD")  # active, reported nothing at all

    dashboard = logistics_dashboard(festival)

    gaps = {gap.carrier.code: gap.days for gap in dashboard.gaps}
    assert gaps["ZTO"] == [missed]
    assert len(gaps["JD"]) == 26 and silent in dashboard.carriers
    day = next(d for d in dashboard.days if d["date"] == missed)
    assert day["complete"] is False and day["collected"] == 3000  # SF's figures only, shown apart
    series = {s["label"]: s["data"] for s in dashboard.charts()["parcels_per_day"]["datasets"]}
    index = dashboard.days.index(day)
    assert series["Festival days"][index] is None  # not drawn as a complete (or zero) day
    assert series["Incomplete: a carrier has not reported"][index] == 3000


def test_incomplete_days_are_left_out_of_the_lift(festival, carrier, other_carrier):
    _fill(festival, [carrier, other_carrier])
    ParcelReport.objects.filter(carrier=other_carrier, date=first_day(festival)).delete()

    dashboard = logistics_dashboard(festival)

    assert dashboard.festival_per_day == 6000  # not dragged down by the missing report
    assert str(dashboard.lift) == "1.50"


def test_an_inactive_carrier_without_reports_is_not_expected(festival, carrier):
    _fill(festival, [carrier])
    CarrierFactory(code="OLD", active=False)

    assert logistics_dashboard(festival).gaps == []


def test_coverage_is_each_provinces_latest_as_of_the_festivals_last_day(festival):
    last = festival_period(festival).last
    CoverageFactory(province_id="330000", date=last - timedelta(days=100), townships_served=1000)
    CoverageFactory(province_id="330000", date=last - timedelta(days=5), townships_served=1300)
    CoverageFactory(province_id="330000", date=last + timedelta(days=5), townships_served=1365)
    CoverageFactory(province_id="540000", date=last - timedelta(days=1), townships=697, townships_served=500)

    coverage = logistics_dashboard(festival).coverage

    assert [(c.province_id, c.townships_served) for c in coverage] == [("330000", 1300), ("540000", 500)]
    assert coverage[1].townships_share == 71.7


def _bulk_reports(carriers, days, provinces):
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {ParcelReport._meta.db_table} (carrier_id, date, province_id, collected, delivered, "
            "rural_collected, rural_delivered, channel, reporter, reported_at) "
            "VALUES (%s, %s, %s, 1000, 900, 100, 90, 'demo', '', %s)",
            [(c.pk, d, p, d) for c in carriers for d in days for p in provinces],
        )


def test_the_dashboard_costs_the_same_queries_at_demo_size_and_ten_times_it(festival, django_assert_max_num_queries):
    provinces = list(Province.objects.filter(code__lt="700000").values_list("code", flat=True))
    first = first_day(festival)
    demo_days = [first - timedelta(days=30) + timedelta(days=n) for n in range(43)]
    carriers = [CarrierFactory(code=f"K{n}") for n in range(7)]
    _bulk_reports(carriers, demo_days, provinces)  # 31 provinces × 7 carriers × 43 days
    client = client_for(staff_user(POST_BUREAU))
    url = reverse("admin:logistics_dashboard_festival", args=[festival.pk])
    client.get(url)  # warm the session and content types

    with CaptureQueriesContext(connection) as demo_size:
        assert client.get(url).status_code == 200
    more = [CarrierFactory(code=f"M{n}") for n in range(63)]
    _bulk_reports(more, demo_days, provinces)  # ten times the rows
    assert ParcelReport.objects.count() == 10 * 31 * 7 * 43

    with django_assert_max_num_queries(len(demo_size)):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["dashboard"].carriers) == 70


def test_the_post_bureau_sees_the_dashboard_with_its_charts(festival, carrier):
    _fill(festival, [carrier], provinces=("330000",))
    CoverageFactory(date=first_day(festival))
    client = client_for(staff_user(POST_BUREAU))

    index = client.get(reverse("admin:index")).content.decode()
    response = client.get(reverse("admin:logistics_dashboard"))

    assert reverse("admin:logistics_dashboard") in index
    assert reverse("admin:promotions_dashboard") not in index
    html = response.content.decode()
    assert response.status_code == 200 and response.context["festival"] == festival
    assert "/static/vendor/chart.js/chart.umd.min.js" in html and "admin_extra/logistics_dashboard.js" in html
    assert 'id="logistics-charts"' in html
    for chart in ("parcels_per_day", "rural_share_per_day", "top_provinces", "coverage"):
        assert f'data-chart="{chart}"' in html
    assert "<script>" not in html.replace('<script id="logistics-charts" type="application/json">', "")


def test_viewers_see_it_and_people_without_the_permission_do_not(festival):
    from tests.factories import UserFactory

    assert client_for(staff_user(VIEWER)).get(reverse("admin:logistics_dashboard")).status_code == 200
    response = client_for(UserFactory(is_staff=True)).get(reverse("admin:logistics_dashboard"))
    assert response.status_code == 403


def test_carriers_are_listed_in_code_order(festival):
    for code in ("ZTO", "EMS", "SF"):
        CarrierFactory(code=code)

    assert [c.code for c in logistics_dashboard(festival).carriers] == ["EMS", "SF", "ZTO"]
    assert Carrier.objects.count() == 3


def test_days_that_have_not_begun_are_neither_gaps_nor_incomplete(carrier):
    from tests.factories import FestivalFactory

    running = FestivalFactory(starts_at=timezone.now() - timedelta(days=2))  # ends in eleven days
    today = running.local(timezone.now()).date()
    for day in baseline_before(running).days + festival_period(running).days:
        if day <= today:
            ParcelReportFactory(carrier=carrier, date=day)

    dashboard = logistics_dashboard(running)

    assert dashboard.gaps == [] and dashboard.incomplete_days == 0
    assert all(d["collected"] is None for d in dashboard.days if d["date"] > today)


def test_missing_days_are_listed_as_ranges(festival, carrier):
    first = first_day(festival)
    _fill(festival, [carrier], provinces=("330000",))
    missing = [first + timedelta(days=n) for n in (1, 2, 3, 7)]
    ParcelReport.objects.filter(date__in=missing).delete()

    (gap,) = logistics_dashboard(festival).gaps

    assert gap.ranges == [(missing[0], missing[2], 3), (missing[3], missing[3], 1)]


def test_the_dashboard_opens_on_the_festival_of_the_latest_report(festival, carrier):
    from tests.factories import FestivalFactory

    FestivalFactory(starts_at=timezone.now() - timedelta(days=1))  # running, nothing reported yet
    ParcelReportFactory(carrier=carrier, date=first_day(festival))

    response = client_for(staff_user(POST_BUREAU)).get(reverse("admin:logistics_dashboard"))

    assert response.context["festival"] == festival


def test_the_public_lift_leaves_out_days_a_carrier_missed(festival, carrier, other_carrier):
    from logistics.selectors import festival_parcels

    _fill(festival, [carrier, other_carrier], provinces=("330000",))
    ParcelReport.objects.filter(carrier=other_carrier, date=first_day(festival) - timedelta(days=4)).delete()

    parcels = festival_parcels(festival)

    assert parcels.baseline_per_day == 2000 and parcels.per_day == 3000
    assert str(parcels.lift) == "1.50"
