"""List pages read in a fixed number of queries, however many rows they show (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    FestivalFactory,
    ParticipationFactory,
    PricePointFactory,
    ProductFactory,
    PromotionFactory,
    PromotionItemFactory,
)
from tests.portal import sign_in

pytestmark = pytest.mark.django_db


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _add_promotions(merchant, festival, count):
    for _ in range(count):
        promotion = PromotionFactory(merchant=merchant, festival=festival, live=True)
        PromotionItemFactory(promotion=promotion)


@pytest.mark.parametrize("url_name", ["merchant:home", "merchant:products"])
def test_portal_lists_do_not_grow_queries_with_rows(client, url_name):
    signed = sign_in(client)
    festival = FestivalFactory()
    ParticipationFactory(merchant=signed.merchant, festival=festival)
    _add_promotions(signed.merchant, festival, 1)
    PricePointFactory(product=ProductFactory(merchant=signed.merchant))
    one = _count_queries(signed.client, reverse(url_name))

    _add_promotions(signed.merchant, festival, 2)
    for _ in range(2):
        PricePointFactory(product=ProductFactory(merchant=signed.merchant))
    three = _count_queries(signed.client, reverse(url_name))

    assert one == three


def test_public_festival_page_does_not_grow_queries_with_promotions(client):
    festival = FestivalFactory()
    _add_promotions(ParticipationFactory(festival=festival).merchant, festival, 1)
    url = reverse("public:festival", args=[festival.slug])
    one = _count_queries(client, url)

    _add_promotions(ParticipationFactory(festival=festival).merchant, festival, 2)
    three = _count_queries(client, url)

    assert one == three
