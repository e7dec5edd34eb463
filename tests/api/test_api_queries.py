"""Every list endpoint makes a bounded number of queries whatever the page size."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.services import create_webhook_subscription
from tests.factories import (
    CategoryFactory,
    FestivalFactory,
    MerchantFactory,
    OrganiserFactory,
    ParticipationFactory,
    PricePointFactory,
    ProductFactory,
    PromotionFactory,
    PromotionItemFactory,
    SalesReportFactory,
)

pytestmark = pytest.mark.django_db


def _fill(n, festival, merchant, api_key):
    categories = [CategoryFactory(), CategoryFactory()]
    priced = ProductFactory(merchant=merchant)
    for i in range(n):
        promotion = PromotionFactory(merchant=merchant, festival=festival, approved=True)
        promotion.categories.set(categories)
        PromotionItemFactory.create_batch(2, promotion=promotion)
        other = MerchantFactory()
        ParticipationFactory(merchant=other, festival=festival).categories.set(categories)
        ProductFactory(merchant=merchant, category=categories[0])
        PricePointFactory(product=priced, recorded_at=timezone.now() - timedelta(minutes=i))
        other_festival = FestivalFactory()
        other_festival.organisers.add(OrganiserFactory())
        SalesReportFactory(merchant=merchant, festival=other_festival, gmv=Decimal(i))
        create_webhook_subscription(url=f"https://example.com/{i}", events=["promotion.live"], api_key=api_key)
        CategoryFactory(parent=categories[0])
    return priced


# key lookup + last-used update + count + page + prefetches
BOUNDS = {
    "/api/v1/promotions/": 8,
    "/api/v1/merchants/": 8,
    "/api/v1/festivals/": 6,
    "/api/v1/categories/": 4,
    "/api/v1/products/": 5,
    "/api/v1/products/{product}/prices/": 6,
    "/api/v1/sales-reports/": 5,
    "/api/v1/webhooks/": 5,
}


@pytest.mark.parametrize("rows", [1, 100])
@pytest.mark.parametrize("url", list(BOUNDS))
def test_list_queries_are_bounded(url, rows, festival, merchant_a, make_key, django_assert_max_num_queries):
    from tests.api.conftest import key_client

    api_key, raw_key = make_key(merchant=merchant_a)
    product = _fill(rows, festival, merchant_a, api_key)
    client = key_client(raw_key)

    with django_assert_max_num_queries(BOUNDS[url]):
        response = client.get(url.format(product=product.pk), {"page_size": 100})

    assert response.status_code == 200
    body = response.json()
    results = body if isinstance(body, list) else body["results"]
    assert len(results) >= min(rows, 100) if url != "/api/v1/categories/" else len(results) == 2


def test_a_list_page_shows_each_promotion_as_its_own_page_does(festival, merchant_a, make_key):
    """The list builds categories and items from plain rows (api.selectors.attach_promotion_details),
    the detail page from model instances: both must say the same, in the same order."""
    from tests.api.conftest import key_client

    _, raw = make_key(merchant=merchant_a)
    later, earlier = CategoryFactory(position=9), CategoryFactory(position=1)
    promotions = []
    for n in range(3):
        promotion = PromotionFactory(merchant=merchant_a, festival=festival, approved=True)
        promotion.categories.set([later, earlier])
        for product in ProductFactory.create_batch(2 + n, merchant=merchant_a):
            PromotionItemFactory(promotion=promotion, product=product, check_reasons=["first reason", "second"])
        promotions.append(promotion)
    PromotionFactory(merchant=merchant_a, festival=festival, approved=True)  # no categories, no items

    client = key_client(raw)
    listed = client.get("/api/v1/promotions/", {"festival": festival.slug, "page_size": 100}).json()["results"]
    assert len(listed) == 4
    for shown in listed:
        assert shown == client.get(f"/api/v1/promotions/{shown['id']}/").json()
    by_id = {shown["id"]: shown for shown in listed}
    assert by_id[promotions[0].pk]["categories"] == [earlier.slug, later.slug]
    assert [len(by_id[p.pk]["items"]) for p in promotions] == [2, 3, 4]


def test_following_next_reaches_every_row_when_the_estimate_falls_short(festival, read_client, monkeypatch):
    """Above the exact limit ``count`` is the planner's estimate, which may be short of the truth
    for a filtered list: ``next`` never trusts it, so a partner following it sees every row."""
    from core import pagination

    for _ in range(7):
        PromotionFactory(festival=festival, approved=True)
    from api.pagination import ApiPaginator

    monkeypatch.setattr(ApiPaginator, "exact_limit", 3)
    monkeypatch.setattr(pagination, "planner_estimate", lambda queryset: 2)

    seen, url = [], "/api/v1/promotions/?page_size=2"
    while url:
        body = read_client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]

    assert body["count"] == 4  # the estimate (at least the rows counted), not the truth
    assert len(seen) == len(set(seen)) == 7


def test_a_partners_list_counts_at_most_a_thousand_and_one_rows(festival, read_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    PromotionFactory(festival=festival, approved=True)

    with CaptureQueriesContext(connection) as queries:
        body = read_client.get("/api/v1/promotions/").json()

    counted = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    assert body["count"] == 1
    if connection.vendor == "postgresql":  # SQLite has no estimate to fall back on: a plain count
        assert len(counted) == 1 and "LIMIT 1001" in counted[0]


def test_the_merchant_list_reads_of_each_participation_only_what_it_shows(festival, merchant_a, make_key):
    # Every column of the participations and their festivals would be some 25 timestamps a
    # merchant, each parsed in Python: the list shows the festivals' slugs and the categories'.
    from tests.api.conftest import key_client

    api_key, raw_key = make_key(merchant=merchant_a)
    _fill(3, festival, merchant_a, api_key)

    with CaptureQueriesContext(connection) as queries:
        response = key_client(raw_key).get("/api/v1/merchants/", {"page_size": 100})

    assert response.status_code == 200
    assert festival.slug in {slug for merchant in response.json()["results"] for slug in merchant["festivals"]}
    participations = [q["sql"] for q in queries if q["sql"].startswith('SELECT "merchants_participation"."id"')]
    assert len(participations) == 1
    selected = participations[0].split(" FROM ")[0]
    assert '"festival_festival"."slug"' in selected
    assert '"festival_festival"."starts_at"' not in selected
    assert '"merchants_participation"."applied_at"' not in selected
