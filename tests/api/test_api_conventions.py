"""Pagination, ETag/304, throttling, CSRF, error shapes and hostile input."""

import json
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from merchants.models import Product, SalesReport
from promotions.models import Promotion
from tests.api.conftest import key_client
from tests.factories import CategoryFactory, FestivalFactory, MembershipFactory, MerchantFactory, PromotionFactory

pytestmark = pytest.mark.django_db


def test_pagination_shape_and_page_size_cap(anon_client, festival, merchant_a):
    PromotionFactory.create_batch(105, merchant=merchant_a, festival=festival, approved=True)

    page = anon_client.get("/api/v1/promotions/", {"page_size": 500}).json()
    small = anon_client.get("/api/v1/promotions/", {"page_size": 10, "page": 2}).json()

    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 105 and len(page["results"]) == 100
    assert "page=2" in page["next"] and page["previous"] is None
    assert len(small["results"]) == 10 and small["previous"]
    assert anon_client.get("/api/v1/promotions/", {"page": 99}).status_code == 404
    assert anon_client.get("/api/v1/promotions/", {"page": "x"}).status_code == 404
    assert (
        anon_client.get("/api/v1/promotions/", {"page_size": "x"}).status_code == 400
    )  # issue 15: refused, not ignored


def _rename_festival(festival):
    festival.name = "Renamed"
    festival.save()


def _add_category(festival):
    CategoryFactory(slug="new-category")


def _approve_another_promotion(festival):
    PromotionFactory(festival=festival, approved=True)


@pytest.mark.parametrize(
    ("url", "change"),
    [
        ("/api/v1/festivals/", _rename_festival),
        ("/api/v1/festivals/{slug}/", _rename_festival),
        ("/api/v1/festivals/{slug}/results/", _approve_another_promotion),
        ("/api/v1/categories/", _add_category),
        ("/api/v1/promotions/", _approve_another_promotion),
    ],
)
def test_etag_and_304(anon_client, festival, url, change):
    url = url.format(slug=festival.slug)
    first = anon_client.get(url)

    again = anon_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    change(festival)
    changed = anon_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and first["ETag"].startswith('"')
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_etag_on_a_promotion_detail(anon_client, festival):
    promotion = PromotionFactory(festival=festival, approved=True)
    first = anon_client.get(f"/api/v1/promotions/{promotion.pk}/")

    assert anon_client.get(f"/api/v1/promotions/{promotion.pk}/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_responses_vary_by_authorization(anon_client):
    response = anon_client.get("/api/v1/festivals/")

    assert "Authorization" in response["Vary"]


def test_anonymous_throttled_harder_than_keys_with_retry_after(settings, make_key):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "key": "4/min", "user": "4/min"},
    }
    anon = APIClient()
    keyed = key_client(make_key(scopes=["read"])[1])
    other_key = key_client(make_key(scopes=["read"], name="other")[1])

    anon_codes = [anon.get("/api/v1/festivals/").status_code for _ in range(3)]
    key_codes = [keyed.get("/api/v1/festivals/").status_code for _ in range(5)]
    throttled = anon.get("/api/v1/festivals/")

    assert anon_codes == [200, 200, 429]
    assert key_codes == [200, 200, 200, 200, 429]
    assert other_key.get("/api/v1/festivals/").status_code == 200  # counted per key
    assert int(throttled["Retry-After"]) > 0
    assert throttled.json()["code"] == "throttled"


def test_session_writes_enforce_csrf(festival):
    member = MembershipFactory().user
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)

    response = client.post("/api/v1/products/", {"sku": "S", "name": "n"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_merchant_session_may_write_for_its_merchant(festival):
    member = MembershipFactory().user
    other = MerchantFactory()
    client = APIClient()
    client.force_login(member)

    response = client.post("/api/v1/products/", {"sku": "S", "name": "n", "merchant": other.pk}, format="json")

    assert response.status_code == 201
    product = Product.objects.get(pk=response.json()["id"])
    assert product.merchant == member.membership.merchant
    assert not Product.objects.filter(merchant=other).exists()


def test_a_key_creates_a_product_for_its_own_merchant_whatever_the_body_says(client_a, merchant_a, merchant_b):
    response = client_a.post(
        "/api/v1/products/", {"sku": "OWN-1", "name": "Mine", "merchant": merchant_b.pk}, format="json"
    )

    assert response.status_code == 201
    assert "merchant" not in response.json()
    product = Product.objects.get(pk=response.json()["id"])
    assert (product.merchant, product.sku) == (merchant_a, "OWN-1")
    assert not Product.objects.filter(merchant=merchant_b).exists()


def test_a_key_creates_a_promotion_for_its_own_merchant_whatever_the_body_says(
    client_a, festival, merchant_a, merchant_b
):
    start = festival.starts_at + timedelta(days=1)
    body = {
        "festival": festival.slug,
        "title": "Mine",
        "kind": "percent_off",
        "percent_off": "10.00",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=1)).isoformat(),
        "merchant": merchant_b.pk,
    }

    response = client_a.post("/api/v1/promotions/", body, format="json")

    assert response.status_code == 201
    assert (response.json()["merchant"], response.json()["merchant_name"]) == (merchant_a.pk, "Alpha")
    assert Promotion.objects.get(pk=response.json()["id"]).merchant == merchant_a
    assert not Promotion.objects.filter(merchant=merchant_b).exists()


def test_a_key_reports_sales_for_its_own_merchant_whatever_the_body_says(client_a, festival, merchant_a, merchant_b):
    day = festival.local(festival.starts_at).date()
    body = {"festival": festival.slug, "date": day.isoformat(), "gmv": "10.00", "orders": 1, "merchant": merchant_b.pk}

    response = client_a.post("/api/v1/sales-reports/", body, format="json")

    assert response.status_code == 201
    assert SalesReport.objects.get(pk=response.json()["id"]).merchant == merchant_a
    assert not SalesReport.objects.filter(merchant=merchant_b).exists()


def test_browsable_api_renders_for_a_session_user(organiser_client, festival):
    response = organiser_client.get("/api/v1/festivals/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"<html" in response.content


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"{not json"),
        ("application/json", b"[1, 2]"),
        ("application/json", b'"text"'),
        ("application/json", b"\xff\xfe"),
        ("text/plain", b"hello"),
    ],
)
def test_malformed_bodies_are_4xx_json(client_a, content_type, body):
    response = client_a.generic("POST", "/api/v1/promotions/", body, content_type=content_type)

    assert response.status_code in (400, 415)
    assert "detail" in response.json()


def test_huge_body_is_413(client_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client_a.post("/api/v1/prices/", {"prices": [{"product": 1, "price": "1" * 10}] * 100}, format="json")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_deeply_nested_json_is_a_400(client_a):
    body = "[" * 100_000 + "]" * 100_000

    response = client_a.generic("POST", "/api/v1/prices/", body, content_type="application/json")

    assert response.status_code == 400


def test_errors_are_json_per_field(client_a, festival):
    response = client_a.post("/api/v1/promotions/", {"festival": festival.slug}, format="json")

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "invalid"
    assert {"title", "kind", "starts_at", "ends_at"} <= set(body["errors"])
    assert json.dumps(body)


def test_schema_and_docs_load_nothing_from_a_cdn(anon_client):
    schema = anon_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = anon_client.get("/api/v1/docs/")

    assert schema.status_code == 200
    spec = schema.json()
    assert spec["components"]["securitySchemes"]["ApiKeyAuth"]["name"] == "Authorization"
    assert "/api/v1/festivals/{slug}/results/" in spec["paths"]
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html
    assert "/static/drf_spectacular_sidecar/" in html
    bundle = anon_client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert FestivalFactory() is not None
