"""The festival dashboard: aggregate figures, charts, and a bounded number of queries."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from festival.roles import VIEWER
from merchants.models import MerchantKind
from promotions.dashboard import festival_dashboard
from promotions.models import PromotionStatus
from tests.admin_support import client_for, populate_festival, staff_user
from tests.factories import (
    FestivalFactory,
    ParticipationFactory,
    PromotionFactory,
    PromotionItemFactory,
    SalesReportFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def festival_2020():
    return FestivalFactory(
        name="2020 Double Product Online Shopping Festival",
        registration_opens_at=datetime(2020, 4, 1, tzinfo=SHANGHAI),
        registration_closes_at=datetime(2020, 4, 20, tzinfo=SHANGHAI),
        submission_deadline=datetime(2020, 4, 25, tzinfo=SHANGHAI),
        starts_at=datetime(2020, 4, 28, tzinfo=SHANGHAI),
        ends_at=datetime(2020, 5, 10, 23, 59, 59, tzinfo=SHANGHAI),
    )


def test_promotions_going_live_are_counted_per_festival_day(festival_2020):
    # 23:30 on 28 April in Beijing is still 28 April, although it is 15:30 UTC.
    PromotionFactory(festival=festival_2020, approved=True, starts_at=datetime(2020, 4, 28, 23, 30, tzinfo=SHANGHAI))
    PromotionFactory(festival=festival_2020, live=True, starts_at=datetime(2020, 4, 29, 0, 30, tzinfo=SHANGHAI))
    PromotionFactory(festival=festival_2020, submitted=True, starts_at=datetime(2020, 4, 29, 0, 30, tzinfo=SHANGHAI))

    series = festival_dashboard(festival_2020).promotions_starting_per_day

    assert len(series.labels) == 13
    assert series.labels[0] == "2020-04-28" and series.labels[-1] == "2020-05-10"
    assert next(iter(series.datasets.values()))[:3] == [1, 1, 0]


def test_dashboard_counts_by_kind_status_check_and_sales(festival_2020):
    catering = ParticipationFactory(festival=festival_2020, merchant__kind=MerchantKind.CATERING).merchant
    ParticipationFactory(festival=festival_2020, merchant__kind=MerchantKind.CATERING, applied=True)
    promotion = PromotionFactory(festival=festival_2020, merchant=catering, submitted=True)
    PromotionItemFactory(promotion=promotion, check_status="pass")
    PromotionItemFactory(promotion=promotion, check_status="fail")
    PromotionItemFactory(promotion=PromotionFactory(festival=festival_2020), check_status="")  # a draft: not counted
    SalesReportFactory(merchant=catering, festival=festival_2020, gmv=Decimal("100.10"), orders=3)
    SalesReportFactory(festival=festival_2020, gmv=Decimal("0.20"), orders=1)

    dashboard = festival_dashboard(festival_2020)

    kind_index = MerchantKind.values.index(MerchantKind.CATERING)
    assert [data[kind_index] for data in dashboard.merchants_by_kind.datasets.values()] == [1, 1]
    status_counts = next(iter(dashboard.promotions_by_status.datasets.values()))
    assert status_counts[PromotionStatus.values.index("submitted")] == 1
    assert status_counts[PromotionStatus.values.index("draft")] == 1
    assert next(iter(dashboard.item_checks.datasets.values())) == [1, 0, 1, 0]
    assert dashboard.total_gmv == Decimal("100.30")
    assert dashboard.total_orders == 4
    assert next(iter(dashboard.daily_sales.datasets.values()))[0] == "100.30"
    assert next(iter(dashboard.daily_sales.datasets.values()))[1] is None  # nobody reported that day
    assert dashboard.pending_promotions == 1
    assert dashboard.items_pass_share == Decimal("50.0")


def test_dashboard_page_draws_charts_with_vendored_chart_js(festival_2020):
    populate_festival(festival_2020, 4)

    response = client_for(staff_user(VIEWER)).get(
        reverse("admin:promotions_dashboard_festival", args=[festival_2020.pk])
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/vendor/chart.js/chart.umd.min.js" in html
    assert 'id="dashboard-charts"' in html
    for chart in ("merchants_by_kind", "merchants_by_category", "promotions_by_status", "promotions_by_kind"):
        assert f'data-chart="{chart}"' in html
    assert 'data-chart="daily_sales"' in html
    assert "http://" not in html.split('id="dashboard-charts"')[0].split("<body")[0]  # no CDN


def test_admin_index_links_to_the_dashboard(festival_2020):
    html = client_for(staff_user(VIEWER)).get("/admin/").content.decode()

    assert reverse("admin:promotions_dashboard") in html


def test_dashboard_picks_the_current_festival(festival_2020):
    upcoming = FestivalFactory(name="Next edition")

    response = client_for(staff_user(VIEWER)).get(reverse("admin:promotions_dashboard"))

    assert response.context["festival"] == upcoming


def test_dashboard_makes_the_same_number_of_queries_for_few_and_many_merchants(
    festival_2020, django_assert_max_num_queries
):
    client = client_for(staff_user(VIEWER))
    url = reverse("admin:promotions_dashboard_festival", args=[festival_2020.pk])
    populate_festival(festival_2020, 3)
    client.get(url)  # warm caches (content types, session)

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    populate_festival(festival_2020, 40, start=3)
    with django_assert_max_num_queries(16):
        response = client.get(url)

    assert response.status_code == 200
    assert response.context["dashboard"].participations_by_status["approved"] > 30
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
