"""The portal's lists never grow with the merchant (issue 17): the home shows the latest
few promotions of each status with the count and a link to the status's paginated list;
products are paginated, the search kept across pages."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from merchants.views import PORTAL_PAGE_SIZE
from promotions.models import Promotion
from promotions.selectors import HOME_PER_STATUS
from tests.factories import FestivalFactory, ProductFactory, PromotionFactory
from tests.portal import sign_in

pytestmark = pytest.mark.django_db


def _drafts(merchant, festival, count, *, title="Draft"):
    promotions = [
        PromotionFactory(merchant=merchant, festival=festival, title=f"{title} {n:03d}") for n in range(count)
    ]
    # A known "latest change" order: the highest number changed last.
    base = timezone.now() - timedelta(days=1)
    for n, promotion in enumerate(promotions):
        Promotion.objects.filter(pk=promotion.pk).update(updated_at=base + timedelta(minutes=n))
    return promotions


def test_home_shows_the_latest_of_each_status_with_its_count_and_a_link_to_all(client):
    signed = sign_in(client)
    festival = FestivalFactory()
    _drafts(signed.merchant, festival, HOME_PER_STATUS + 5)
    PromotionFactory(merchant=signed.merchant, festival=festival, title="Waiting", submitted=True)
    PromotionFactory(festival=festival, title="Draft of another merchant")

    response = signed.client.get(reverse("merchant:home"))

    page = response.content.decode()
    groups = {group["status"]: group for group in response.context["promotion_groups"]}
    shown = [p.title for p in groups["draft"]["promotions"]]
    assert shown == [f"Draft {n:03d}" for n in range(HOME_PER_STATUS + 4, 4, -1)]  # latest first
    assert groups["draft"]["count"] == HOME_PER_STATUS + 5 and groups["draft"]["has_more"]
    assert f"{reverse('merchant:promotion_list')}?status=draft" in page
    assert [p.title for p in groups["submitted"]["promotions"]] == ["Waiting"]
    assert not groups["submitted"]["has_more"] and "?status=submitted" not in page
    assert "Draft 000" not in page and "another merchant" not in page


def test_the_home_costs_the_same_queries_for_three_promotions_or_forty(client):
    signed = sign_in(client)
    festival = FestivalFactory()
    _drafts(signed.merchant, festival, 3)
    url = reverse("merchant:home")
    signed.client.get(url)
    with CaptureQueriesContext(connection) as few:
        small = signed.client.get(url)
    _drafts(signed.merchant, festival, 37, title="More")
    with CaptureQueriesContext(connection) as many:
        large = signed.client.get(url)

    assert len(few) == len(many)
    assert len(large.context["promotion_groups"][0]["promotions"]) == HOME_PER_STATUS
    assert len(small.context["promotion_groups"][0]["promotions"]) == 3


def test_a_status_list_pages_through_the_merchants_own_promotions_latest_first(client):
    signed = sign_in(client)
    festival = FestivalFactory()
    _drafts(signed.merchant, festival, PORTAL_PAGE_SIZE + 2)
    PromotionFactory(merchant=signed.merchant, festival=festival, title="Submitted one", submitted=True)
    PromotionFactory(festival=festival, title="Draft of another merchant")
    url = reverse("merchant:promotion_list")

    first = signed.client.get(url, {"status": "draft"})
    second = signed.client.get(url, {"status": "draft", "page": 2})

    titles = [p.title for p in first.context["page_obj"].object_list]
    assert len(titles) == PORTAL_PAGE_SIZE and titles[0] == f"Draft {PORTAL_PAGE_SIZE + 1:03d}"
    assert [p.title for p in second.context["page_obj"].object_list] == ["Draft 001", "Draft 000"]
    page = first.content.decode()
    assert "?status=draft&amp;page=2" in page and "Submitted one" not in page and "another merchant" not in page


@pytest.mark.parametrize("status", ["", "nonsense", "DRAFT"])
def test_a_status_list_of_no_such_status_is_a_404(client, status):
    signed = sign_in(client)

    response = signed.client.get(reverse("merchant:promotion_list"), {"status": status})

    assert response.status_code == 404


def test_products_are_paginated_and_the_search_is_kept_across_pages(client):
    signed = sign_in(client)
    for n in range(PORTAL_PAGE_SIZE + 3):
        ProductFactory(merchant=signed.merchant, sku=f"TEA-{n:03d}", name=f"茶叶 {n}")
    ProductFactory(merchant=signed.merchant, sku="RICE-1", name="大米")
    url = reverse("merchant:products")

    first = signed.client.get(url, {"q": "茶叶"})
    last = signed.client.get(url, {"q": "茶叶", "page": 2})
    beyond = signed.client.get(url, {"q": "茶叶", "page": 99})

    assert [p.sku for p in first.context["products"]] == [f"TEA-{n:03d}" for n in range(PORTAL_PAGE_SIZE)]
    assert [p.sku for p in last.context["products"]] == [
        f"TEA-{n:03d}" for n in range(PORTAL_PAGE_SIZE, PORTAL_PAGE_SIZE + 3)
    ]
    assert "q=%E8%8C%B6%E5%8F%B6&amp;page=2" in first.content.decode()
    assert beyond.context["page_obj"].number == 2  # past the end: the last page, not an error


def test_the_products_page_costs_the_same_queries_for_few_products_or_many(client):
    signed = sign_in(client)
    ProductFactory(merchant=signed.merchant)
    url = reverse("merchant:products")
    signed.client.get(url)
    with CaptureQueriesContext(connection) as few:
        signed.client.get(url)
    for _n in range(PORTAL_PAGE_SIZE + 10):
        ProductFactory(merchant=signed.merchant)
    with CaptureQueriesContext(connection) as many:
        response = signed.client.get(url)

    assert len(few) == len(many)
    assert len(response.context["products"]) == PORTAL_PAGE_SIZE
