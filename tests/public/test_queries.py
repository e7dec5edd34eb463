"""The public pages make a bounded number of queries: the same at 1 and 100 rows."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    CategoryFactory,
    CertificateFactory,
    PricePointFactory,
    PromotionItemFactory,
    SalesReportFactory,
)
from tests.public.conftest import live_item

pytestmark = pytest.mark.django_db


def _queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


def _world(festival, n, *, status="live"):
    category = CategoryFactory(slug="brands", name="老字号")
    child = CategoryFactory(slug="brands-food", name="食品", parent=category)
    items = []
    for i in range(n):
        item = live_item(festival, title=f"Sale {n}-{i}", status=status, category=child if i % 2 else category)
        CertificateFactory(merchant=item.promotion.merchant, verified=True, kind="time_honoured", number=f"TH{i}")
        PromotionItemFactory(promotion=item.promotion, checked_at=item.checked_at, reference_price="90.00")
        SalesReportFactory(merchant=item.promotion.merchant, festival=festival)
        items.append(item)
    return items


def _items_of_one_promotion(festival, n):
    item = live_item(festival)
    for i in range(n - 1):
        other = PromotionItemFactory(promotion=item.promotion, checked_at=item.checked_at, reference_price="100.00")
        PricePointFactory(product=other.product, recorded_at=festival.starts_at - timedelta(days=3, minutes=i))
    return item.promotion


@pytest.mark.parametrize(
    "page",
    [
        lambda f: reverse("public:index"),
        lambda f: reverse("public:festival", args=[f.slug]),
        lambda f: reverse("public:promotions", args=[f.slug]),
        lambda f: reverse("public:promotions", args=[f.slug]) + "?sort=discount&q=Sale&category=brands",
        lambda f: reverse("public:promotions", args=[f.slug]) + "?q=sale",
        lambda f: reverse("public:merchants"),
        lambda f: reverse("public:merchants") + "?kind=brand_enterprise&category=brands&country=CN",
    ],
    ids=[
        "home",
        "festival",
        "promotions",
        "promotions-filtered",
        "promotions-search",
        "merchants",
        "merchants-filtered",
    ],
)
def test_list_pages_make_as_many_queries_for_100_rows_as_for_1(
    client, running_festival, django_assert_num_queries, page
):
    _world(running_festival, 1)
    url = page(running_festival)
    at_one = _queries(client, url)
    _world(running_festival, 99)
    cache.clear()

    with django_assert_num_queries(at_one):
        client.get(url)


def test_results_make_as_many_queries_for_100_merchants_as_for_1(client, closed_festival, django_assert_num_queries):
    from public.models import ResultsSnapshot

    _world(closed_festival, 1, status="ended")
    url = reverse("public:results", args=[closed_festival.slug])
    counted_at_one, read_at_one = _queries(client, url), _queries(client, url)  # counted, then the snapshot read
    ResultsSnapshot.objects.all().delete()
    _world(closed_festival, 99, status="ended")
    cache.clear()

    with django_assert_num_queries(counted_at_one):
        client.get(url)
    with django_assert_num_queries(read_at_one):
        cache.clear()
        client.get(url)
    assert read_at_one < counted_at_one


def test_promotion_page_query_count_does_not_grow_with_items(client, running_festival):
    one = _items_of_one_promotion(running_festival, 1)
    hundred = _items_of_one_promotion(running_festival, 100)

    assert _queries(client, reverse("public:promotion", args=[one.pk])) == _queries(
        client, reverse("public:promotion", args=[hundred.pk])
    )


def test_merchant_page_query_count_does_not_grow_with_promotions(client, running_festival):
    item = live_item(running_festival)
    merchant = item.promotion.merchant
    url = reverse("public:merchant", args=[merchant.pk])
    few = _queries(client, url)
    for i in range(30):
        live_item(running_festival, title=f"More {i}", merchant=merchant)

    assert _queries(client, url) == few
