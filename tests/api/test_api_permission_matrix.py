"""Who may do what: every endpoint and method × anonymous, read key, merchant A's
key, merchant B's key and an organiser's session, on merchant A's objects (so A
is "own" and B is "foreign"). No foreign draft, product, price or report can be
read or changed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import create_webhook_subscription
from merchants.models import PricePoint
from tests.api.conftest import ALL_SCOPES, key_client
from tests.factories import (
    PricePointFactory,
    ProductFactory,
    PromotionFactory,
    PromotionItemFactory,
    ReviewerFactory,
    SalesReportFactory,
)

pytestmark = pytest.mark.django_db

ACTORS = ("anon", "read", "a", "b", "org")


@pytest.fixture
def world(festival, merchant_a, merchant_b, make_key):
    product = ProductFactory(merchant=merchant_a)
    PricePointFactory(product=product, price=Decimal("100.00"), recorded_at=timezone.now() - timedelta(days=1))
    draft = PromotionFactory(merchant=merchant_a, festival=festival)
    PromotionItemFactory(promotion=draft, product=product, promo_price=Decimal("80.00"))
    approved = PromotionFactory(merchant=merchant_a, festival=festival, approved=True)
    PromotionItemFactory(promotion=approved, product=product, promo_price=Decimal("80.00"))
    report = SalesReportFactory(merchant=merchant_a, festival=festival)
    key_a, raw_a = make_key(merchant=merchant_a, scopes=ALL_SCOPES, name="A")
    _key_b, raw_b = make_key(merchant=merchant_b, scopes=ALL_SCOPES, name="B")
    _key_r, raw_r = make_key(scopes=["read"], name="reader")
    webhook = create_webhook_subscription(url="https://example.com/a", events=["promotion.approved"], api_key=key_a)
    clients = {
        "anon": APIClient(),
        "read": key_client(raw_r),
        "a": key_client(raw_a),
        "b": key_client(raw_b),
        "org": key_client(user=ReviewerFactory()),
    }
    start = festival.starts_at + timedelta(days=1)
    second_day = festival.local(festival.starts_at).date() + timedelta(days=1)
    return {
        "clients": clients,
        "ids": {
            "slug": festival.slug,
            "merchant": merchant_a.pk,
            "draft": draft.pk,
            "approved": approved.pk,
            "product": product.pk,
            "report": report.pk,
            "webhook": webhook.pk,
        },
        "bodies": {
            "promotion": {
                "festival": festival.slug,
                "title": "New",
                "kind": "percent_off",
                "percent_off": "10.00",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(days=1)).isoformat(),
            },
            "promotion_with_a_product": {
                "festival": festival.slug,
                "title": "New",
                "kind": "percent_off",
                "percent_off": "10.00",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(days=1)).isoformat(),
                "items": [{"product": product.pk, "promo_price": "70.00"}],
            },
            "rename": {"title": "Renamed"},
            "product": {"sku": "NEW-1", "name": "New product"},
            "product_rename": {"name": "Renamed"},
            "price": {"price": "99.00", "recorded_at": timezone.now().isoformat()},
            "bulk": {"prices": [{"product": product.pk, "price": "98.00", "recorded_at": timezone.now().isoformat()}]},
            "sales": {"festival": festival.slug, "date": second_day.isoformat(), "gmv": "100.00", "orders": 3},
            "webhook": {"url": "https://example.com/hook", "events": ["promotion.approved"]},
            None: None,
        },
    }


# (name, method, url, body, expected status per actor: anon, read, a, b, org)
MATRIX = [
    ("festival list", "get", "/api/v1/festivals/", None, (200, 200, 200, 200, 200)),
    ("festival detail", "get", "/api/v1/festivals/{slug}/", None, (200, 200, 200, 200, 200)),
    ("festival results", "get", "/api/v1/festivals/{slug}/results/", None, (200, 200, 200, 200, 200)),
    ("festival delete", "delete", "/api/v1/festivals/{slug}/", None, (405, 405, 405, 405, 405)),
    ("categories", "get", "/api/v1/categories/", None, (200, 200, 200, 200, 200)),
    ("categories post", "post", "/api/v1/categories/", None, (405, 405, 405, 405, 405)),
    ("merchant list", "get", "/api/v1/merchants/", None, (200, 200, 200, 200, 200)),
    ("merchant detail", "get", "/api/v1/merchants/{merchant}/", None, (200, 200, 200, 200, 200)),
    ("merchant patch", "patch", "/api/v1/merchants/{merchant}/", "rename", (405, 405, 405, 405, 405)),
    ("promotion list", "get", "/api/v1/promotions/", None, (200, 200, 200, 200, 200)),
    ("draft detail", "get", "/api/v1/promotions/{draft}/", None, (404, 404, 200, 404, 200)),
    ("approved detail", "get", "/api/v1/promotions/{approved}/", None, (200, 200, 200, 200, 200)),
    ("promotion create", "post", "/api/v1/promotions/", "promotion", (401, 403, 201, 201, 403)),
    (
        "promotion create with A's product",
        "post",
        "/api/v1/promotions/",
        "promotion_with_a_product",
        (401, 403, 201, 400, 403),
    ),
    ("draft patch", "patch", "/api/v1/promotions/{draft}/", "rename", (401, 403, 200, 404, 403)),
    ("draft put", "put", "/api/v1/promotions/{draft}/", "rename", (401, 403, 405, 405, 403)),
    ("approved patch", "patch", "/api/v1/promotions/{approved}/", "rename", (401, 403, 409, 403, 403)),
    ("draft delete", "delete", "/api/v1/promotions/{draft}/", None, (401, 403, 204, 404, 403)),
    ("approved delete", "delete", "/api/v1/promotions/{approved}/", None, (401, 403, 409, 403, 403)),
    ("draft submit", "post", "/api/v1/promotions/{draft}/submit/", None, (401, 403, 200, 404, 403)),
    ("draft withdraw", "post", "/api/v1/promotions/{draft}/withdraw/", None, (401, 403, 200, 404, 403)),
    ("approved withdraw", "post", "/api/v1/promotions/{approved}/withdraw/", None, (401, 403, 200, 403, 403)),
    ("product list", "get", "/api/v1/products/", None, (401, 403, 200, 200, 403)),
    ("product detail", "get", "/api/v1/products/{product}/", None, (401, 403, 200, 404, 403)),
    ("product create", "post", "/api/v1/products/", "product", (401, 403, 201, 201, 403)),
    ("product patch", "patch", "/api/v1/products/{product}/", "product_rename", (401, 403, 200, 404, 403)),
    ("product delete", "delete", "/api/v1/products/{product}/", None, (401, 403, 405, 405, 403)),
    ("price list", "get", "/api/v1/products/{product}/prices/", None, (401, 403, 200, 404, 403)),
    ("price create", "post", "/api/v1/products/{product}/prices/", "price", (401, 403, 201, 404, 403)),
    ("bulk prices", "post", "/api/v1/prices/", "bulk", (401, 403, 201, 400, 403)),
    ("sales list", "get", "/api/v1/sales-reports/", None, (401, 403, 200, 200, 403)),
    ("sales detail", "get", "/api/v1/sales-reports/{report}/", None, (401, 403, 200, 404, 403)),
    ("sales create", "post", "/api/v1/sales-reports/", "sales", (401, 403, 201, 201, 403)),
    ("webhook list", "get", "/api/v1/webhooks/", None, (401, 200, 200, 200, 200)),
    ("webhook detail", "get", "/api/v1/webhooks/{webhook}/", None, (401, 404, 200, 404, 404)),
    ("webhook create", "post", "/api/v1/webhooks/", "webhook", (401, 403, 201, 201, 201)),
    ("webhook delete", "delete", "/api/v1/webhooks/{webhook}/", None, (401, 403, 204, 404, 404)),
]

CELLS = [
    pytest.param(method, url, body, actor, expected[i], id=f"{name} as {actor}")
    for name, method, url, body, expected in MATRIX
    for i, actor in enumerate(ACTORS)
]


@pytest.mark.parametrize(("method", "url", "body", "actor", "expected"), CELLS)
def test_permission_matrix(world, method, url, body, actor, expected):
    client = world["clients"][actor]

    response = getattr(client, method)(url.format(**world["ids"]), world["bodies"][body], format="json")

    assert response.status_code == expected, response.content[:500]


def test_foreign_writes_change_nothing(world):
    client_b = world["clients"]["b"]
    ids = world["ids"]

    client_b.patch(f"/api/v1/promotions/{ids['approved']}/", {"title": "Hijacked"}, format="json")
    client_b.post(f"/api/v1/products/{ids['product']}/prices/", world["bodies"]["price"], format="json")
    client_b.post("/api/v1/prices/", world["bodies"]["bulk"], format="json")

    approved = world["clients"]["a"].get(f"/api/v1/promotions/{ids['approved']}/").json()
    assert approved["title"] != "Hijacked"
    assert PricePoint.objects.filter(product_id=ids["product"]).count() == 1


def test_foreign_drafts_are_not_listed(world):
    listed = {p["id"] for p in world["clients"]["b"].get("/api/v1/promotions/").json()["results"]}

    assert world["ids"]["approved"] in listed
    assert world["ids"]["draft"] not in listed
