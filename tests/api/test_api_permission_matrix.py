"""Who may do what: every endpoint and method × anonymous, read key, merchant A's
read-only key, merchant A's key, merchant B's key and an organiser's session, on
merchant A's objects (so A is "own" and B is "foreign"). No foreign draft,
product, price or report can be read or changed, and every cell checks the body
too: which objects a list or detail shows, the error code of a refusal, and that
a refused write changed nothing in the database."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import WebhookSubscription
from api.services import create_webhook_subscription
from merchants.models import PricePoint, Product, SalesReport
from promotions.models import Promotion, PromotionEvent, PromotionItem
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

ACTORS = ("anon", "read", "ro", "a", "b", "org")


@pytest.fixture
def world(festival, merchant_a, merchant_b, make_key):
    product = ProductFactory(merchant=merchant_a)
    price = PricePointFactory(product=product, price=Decimal("100.00"), recorded_at=timezone.now() - timedelta(days=1))
    draft = PromotionFactory(merchant=merchant_a, festival=festival)
    PromotionItemFactory(promotion=draft, product=product, promo_price=Decimal("80.00"))
    approved = PromotionFactory(merchant=merchant_a, festival=festival, approved=True)
    PromotionItemFactory(promotion=approved, product=product, promo_price=Decimal("80.00"))
    report = SalesReportFactory(merchant=merchant_a, festival=festival)
    # Merchant B's own objects: a list that forgets its merchant filter shows them to A (and A's to B).
    product_b = ProductFactory(merchant=merchant_b)
    price_b = PricePointFactory(product=product_b, price=Decimal("50.00"), recorded_at=timezone.now())
    draft_b = PromotionFactory(merchant=merchant_b, festival=festival)
    report_b = SalesReportFactory(merchant=merchant_b, festival=festival)
    key_a, raw_a = make_key(merchant=merchant_a, scopes=ALL_SCOPES, name="A")
    key_b, raw_b = make_key(merchant=merchant_b, scopes=ALL_SCOPES, name="B")
    _key_ro, raw_ro = make_key(merchant=merchant_a, scopes=["read"], name="A read-only")
    _key_r, raw_r = make_key(scopes=["read"], name="reader")
    webhook = create_webhook_subscription(url="https://example.com/a", events=["promotion.approved"], api_key=key_a)
    webhook_b = create_webhook_subscription(url="https://example.com/b", events=["promotion.approved"], api_key=key_b)
    clients = {
        "anon": APIClient(),
        "read": key_client(raw_r),
        "ro": key_client(raw_ro),
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
            "merchant_b": merchant_b.pk,
            "draft": draft.pk,
            "approved": approved.pk,
            "draft_b": draft_b.pk,
            "product": product.pk,
            "product_b": product_b.pk,
            "price": price.pk,
            "price_b": price_b.pk,
            "report": report.pk,
            "report_b": report_b.pk,
            "webhook": webhook.pk,
            "webhook_b": webhook_b.pk,
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


# (name, method, url, body, expected status per actor: anon, read, ro, a, b, org)
MATRIX = [
    ("festival list", "get", "/api/v1/festivals/", None, (200, 200, 200, 200, 200, 200)),
    ("festival detail", "get", "/api/v1/festivals/{slug}/", None, (200, 200, 200, 200, 200, 200)),
    ("festival results", "get", "/api/v1/festivals/{slug}/results/", None, (200, 200, 200, 200, 200, 200)),
    ("festival delete", "delete", "/api/v1/festivals/{slug}/", None, (405, 405, 405, 405, 405, 405)),
    ("categories", "get", "/api/v1/categories/", None, (200, 200, 200, 200, 200, 200)),
    ("categories post", "post", "/api/v1/categories/", None, (405, 405, 405, 405, 405, 405)),
    ("merchant list", "get", "/api/v1/merchants/", None, (200, 200, 200, 200, 200, 200)),
    ("merchant detail", "get", "/api/v1/merchants/{merchant}/", None, (200, 200, 200, 200, 200, 200)),
    ("merchant patch", "patch", "/api/v1/merchants/{merchant}/", "rename", (405, 405, 405, 405, 405, 405)),
    ("promotion list", "get", "/api/v1/promotions/", None, (200, 200, 200, 200, 200, 200)),
    ("draft detail", "get", "/api/v1/promotions/{draft}/", None, (404, 404, 200, 200, 404, 200)),
    ("approved detail", "get", "/api/v1/promotions/{approved}/", None, (200, 200, 200, 200, 200, 200)),
    ("promotion create", "post", "/api/v1/promotions/", "promotion", (401, 403, 403, 201, 201, 403)),
    (
        "promotion create with A's product",
        "post",
        "/api/v1/promotions/",
        "promotion_with_a_product",
        (401, 403, 403, 201, 400, 403),
    ),
    ("draft patch", "patch", "/api/v1/promotions/{draft}/", "rename", (401, 403, 403, 200, 404, 403)),
    ("draft put", "put", "/api/v1/promotions/{draft}/", "rename", (401, 403, 403, 405, 405, 403)),
    ("approved patch", "patch", "/api/v1/promotions/{approved}/", "rename", (401, 403, 403, 409, 403, 403)),
    ("draft delete", "delete", "/api/v1/promotions/{draft}/", None, (401, 403, 403, 204, 404, 403)),
    ("approved delete", "delete", "/api/v1/promotions/{approved}/", None, (401, 403, 403, 409, 403, 403)),
    ("draft submit", "post", "/api/v1/promotions/{draft}/submit/", None, (401, 403, 403, 200, 404, 403)),
    ("draft withdraw", "post", "/api/v1/promotions/{draft}/withdraw/", None, (401, 403, 403, 200, 404, 403)),
    ("approved withdraw", "post", "/api/v1/promotions/{approved}/withdraw/", None, (401, 403, 403, 200, 403, 403)),
    ("product list", "get", "/api/v1/products/", None, (401, 403, 200, 200, 200, 403)),
    ("product detail", "get", "/api/v1/products/{product}/", None, (401, 403, 200, 200, 404, 403)),
    ("product create", "post", "/api/v1/products/", "product", (401, 403, 403, 201, 201, 403)),
    ("product patch", "patch", "/api/v1/products/{product}/", "product_rename", (401, 403, 403, 200, 404, 403)),
    ("product delete", "delete", "/api/v1/products/{product}/", None, (401, 403, 403, 405, 405, 403)),
    ("price list", "get", "/api/v1/products/{product}/prices/", None, (401, 403, 200, 200, 404, 403)),
    ("price create", "post", "/api/v1/products/{product}/prices/", "price", (401, 403, 403, 201, 404, 403)),
    ("bulk prices", "post", "/api/v1/prices/", "bulk", (401, 403, 403, 201, 400, 403)),
    ("sales list", "get", "/api/v1/sales-reports/", None, (401, 403, 200, 200, 200, 403)),
    ("sales detail", "get", "/api/v1/sales-reports/{report}/", None, (401, 403, 200, 200, 404, 403)),
    ("sales create", "post", "/api/v1/sales-reports/", "sales", (401, 403, 403, 201, 201, 403)),
    ("webhook list", "get", "/api/v1/webhooks/", None, (401, 200, 200, 200, 200, 200)),
    ("webhook detail", "get", "/api/v1/webhooks/{webhook}/", None, (401, 404, 404, 200, 404, 404)),
    ("webhook create", "post", "/api/v1/webhooks/", "webhook", (401, 403, 403, 201, 201, 201)),
    ("webhook delete", "delete", "/api/v1/webhooks/{webhook}/", None, (401, 403, 403, 204, 404, 404)),
]

# What a 200 GET shows, per actor: for a list the exact set of objects (keys of
# world["ids"]), for a detail the one object. Rows left out show no object list
# (categories, results).
SHOWN = {
    "festival list": {actor: {"slug"} for actor in ACTORS},
    "festival detail": dict.fromkeys(ACTORS, "slug"),
    "merchant list": {actor: {"merchant", "merchant_b"} for actor in ACTORS},
    "merchant detail": dict.fromkeys(ACTORS, "merchant"),
    "promotion list": {
        "anon": {"approved"},
        "read": {"approved"},
        "ro": {"draft", "approved"},
        "a": {"draft", "approved"},
        "b": {"approved", "draft_b"},
        "org": {"draft", "approved", "draft_b"},
    },
    "draft detail": dict.fromkeys(ACTORS, "draft"),
    "approved detail": dict.fromkeys(ACTORS, "approved"),
    "product list": {"ro": {"product"}, "a": {"product"}, "b": {"product_b"}},
    "product detail": {"ro": "product", "a": "product"},
    "price list": {"ro": {"price"}, "a": {"price"}},
    "sales list": {"ro": {"report"}, "a": {"report"}, "b": {"report_b"}},
    "sales detail": {"ro": "report", "a": "report"},
    "webhook list": {"read": set(), "ro": set(), "a": {"webhook"}, "b": {"webhook_b"}, "org": set()},
    "webhook detail": {"a": "webhook"},
}

# The error code in the body of each refusal.
ERROR_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
}

CELLS = [
    pytest.param(method, url, body, actor, expected[i], SHOWN.get(name, {}).get(actor), id=f"{name} as {actor}")
    for name, method, url, body, expected in MATRIX
    for i, actor in enumerate(ACTORS)
]


def database_state():
    """Everything an API write could change (rows and the fields the writes touch)."""
    return {
        "promotions": list(Promotion.objects.order_by("pk").values_list("pk", "title", "status", "updated_at")),
        "items": list(PromotionItem.objects.order_by("pk").values_list("pk", "promotion_id", "promo_price")),
        "events": PromotionEvent.objects.count(),
        "products": list(Product.objects.order_by("pk").values_list("pk", "merchant_id", "sku", "name", "updated_at")),
        "prices": list(PricePoint.objects.order_by("pk").values_list("pk", "product_id", "price")),
        "sales": list(SalesReport.objects.order_by("pk").values_list("pk", "merchant_id", "date", "gmv", "orders")),
        "webhooks": list(WebhookSubscription.objects.order_by("pk").values_list("pk", "url")),
    }


def shown_ids(body):
    rows = body["results"] if isinstance(body, dict) else body
    return sorted(row.get("id", row.get("slug")) for row in rows)


@pytest.mark.parametrize(("method", "url", "body", "actor", "expected", "shown"), CELLS)
def test_permission_matrix(world, method, url, body, actor, expected, shown):
    client = world["clients"][actor]
    ids = world["ids"]
    before = database_state()

    response = getattr(client, method)(url.format(**ids), world["bodies"][body], format="json")

    assert response.status_code == expected, response.content[:500]
    if expected >= 400:
        assert response.json()["code"] == ERROR_CODES[expected], response.content[:500]
        assert database_state() == before, "a refused call changed the database"
    if expected == 200 and isinstance(shown, set):
        assert shown_ids(response.json()) == sorted(ids[key] for key in shown)
    elif expected == 200 and shown is not None:
        detail = response.json()
        assert detail.get("id", detail.get("slug")) == ids[shown]


# Every write a merchant-bound key makes, with the scope it needs: a key of the
# same merchant holding only ``read`` is refused each, and nothing is written.
READ_ONLY_WRITES = [
    ("create a promotion draft", "post", "/api/v1/promotions/", "promotion", "promotions:write"),
    ("edit a promotion draft", "patch", "/api/v1/promotions/{draft}/", "rename", "promotions:write"),
    ("delete a promotion draft", "delete", "/api/v1/promotions/{draft}/", None, "promotions:write"),
    ("submit a draft", "post", "/api/v1/promotions/{draft}/submit/", None, "promotions:write"),
    ("withdraw a draft", "post", "/api/v1/promotions/{draft}/withdraw/", None, "promotions:write"),
    ("withdraw an approved promotion", "post", "/api/v1/promotions/{approved}/withdraw/", None, "promotions:write"),
    ("create a product", "post", "/api/v1/products/", "product", "prices:write"),
    ("edit a product", "patch", "/api/v1/products/{product}/", "product_rename", "prices:write"),
    ("push a price", "post", "/api/v1/products/{product}/prices/", "price", "prices:write"),
    ("bulk price upload", "post", "/api/v1/prices/", "bulk", "prices:write"),
    ("create a sales report", "post", "/api/v1/sales-reports/", "sales", "sales:write"),
    ("subscribe to webhooks", "post", "/api/v1/webhooks/", "webhook", "webhooks:write"),
]


@pytest.mark.parametrize(
    ("method", "url", "body", "scope"),
    [pytest.param(method, url, body, scope, id=name) for name, method, url, body, scope in READ_ONLY_WRITES],
)
def test_a_read_only_merchant_key_cannot_write(world, method, url, body, scope):
    client = world["clients"]["ro"]
    counts = [model.objects.count() for model in (Promotion, Product, PricePoint, SalesReport, WebhookSubscription)]
    before = database_state()

    response = getattr(client, method)(url.format(**world["ids"]), world["bodies"][body], format="json")

    assert response.status_code == 403, response.content[:500]
    assert response.json() == {
        "detail": f"This API key lacks the scope for this call (needs {scope}).",
        "code": "permission_denied",
    }
    assert [model.objects.count() for model in (Promotion, Product, PricePoint, SalesReport, WebhookSubscription)] == (
        counts
    )
    assert database_state() == before


def test_a_read_only_merchant_key_reads_its_own_merchant(world):
    client = world["clients"]["ro"]
    ids = world["ids"]

    products = client.get("/api/v1/products/").json()["results"]
    reports = client.get("/api/v1/sales-reports/").json()["results"]

    assert [p["id"] for p in products] == [ids["product"]]
    assert [r["id"] for r in reports] == [ids["report"]]


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
