from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from api.models import WebhookSubscription
from festival.models import DailyResult
from merchants.models import MerchantKind, PricePoint, Product, SalesReport
from tests.factories import (
    CategoryFactory,
    FestivalFactory,
    MerchantFactory,
    ParticipationFactory,
    ProductFactory,
    PromotionFactory,
    UncountedSalesReportFactory,
)

pytestmark = pytest.mark.django_db


# Festivals, results, categories ---------------------------------------------------------


def test_festival_detail_and_unknown_slug(anon_client, festival):
    data = anon_client.get(f"/api/v1/festivals/{festival.slug}/").json()

    assert data["slug"] == festival.slug
    assert data["time_zone"] == "Asia/Shanghai"
    assert data["min_discount_percent"] == "5.00"
    assert data["starts_at"].endswith("+08:00")
    assert anon_client.get("/api/v1/festivals/no-such/").status_code == 404
    assert anon_client.get("/api/v1/festivals/bad%20slug/").status_code == 404


def test_results_aggregate_reports_when_not_rolled_up(anon_client, festival, merchant_a, merchant_b):
    food = CategoryFactory(slug="food")
    merchant_a.participations.get().categories.add(food)
    ParticipationFactory(festival=festival, applied=True)  # not approved: not counted
    PromotionFactory(merchant=merchant_a, festival=festival, approved=True)
    PromotionFactory(merchant=merchant_b, festival=festival)
    day = festival.local(festival.starts_at).date()
    UncountedSalesReportFactory(merchant=merchant_a, festival=festival, date=day, gmv=Decimal("100.50"), orders=2)
    UncountedSalesReportFactory(merchant=merchant_b, festival=festival, date=day, gmv=Decimal("10.00"), orders=1)
    UncountedSalesReportFactory(
        merchant=merchant_b, festival=festival, date=day + timedelta(days=1), gmv=Decimal("1"), orders=1
    )

    data = anon_client.get(f"/api/v1/festivals/{festival.slug}/results/").json()

    assert data["merchants"] == {"total": 2, "by_kind": {MerchantKind.BRAND_ENTERPRISE: 2}, "by_category": {"food": 1}}
    assert data["promotions"] == {"total": 2, "by_status": {"approved": 1, "draft": 1}}
    assert data["sales"]["source"] == "sales_reports"
    assert data["sales"]["by_day"][0] == {"date": day.isoformat(), "gmv": "110.50", "orders": 3}
    assert data["sales"]["total"] == {"gmv": "111.50", "orders": 4}


def test_results_prefer_daily_results(anon_client, festival):
    day = festival.local(festival.starts_at).date()
    DailyResult.objects.create(festival=festival, date=day, gmv=Decimal("5000"), orders=50)
    UncountedSalesReportFactory(festival=festival, date=day)

    sales = anon_client.get(f"/api/v1/festivals/{festival.slug}/results/").json()["sales"]

    assert sales["source"] == "daily_results"
    assert sales["total"] == {"gmv": "5000.00", "orders": 50}


def test_categories_come_as_a_tree(anon_client):
    food = CategoryFactory(slug="food", position=1)
    CategoryFactory(slug="tea", parent=food)
    CategoryFactory(slug="home", position=2)

    tree = anon_client.get("/api/v1/categories/").json()

    assert [node["slug"] for node in tree] == ["food", "home"]
    assert [child["slug"] for child in tree[0]["children"]] == ["tea"]
    assert tree[0]["children"][0]["parent"] == "food"


# Merchants ----------------------------------------------------------------------------------


def test_merchants_are_approved_participants_without_contact_for_the_public(anon_client, festival, merchant_a):
    hidden = ParticipationFactory(festival=festival, applied=True).merchant

    results = anon_client.get("/api/v1/merchants/").json()["results"]

    assert [m["id"] for m in results] == [merchant_a.pk]
    assert results[0]["contact"] is None
    assert results[0]["uscc"] == merchant_a.uscc
    assert anon_client.get(f"/api/v1/merchants/{hidden.pk}/").status_code == 404


def test_merchant_sees_its_own_contact_and_organiser_all(client_a, organiser_client, merchant_a, merchant_b):
    own = client_a.get(f"/api/v1/merchants/{merchant_a.pk}/").json()
    foreign = client_a.get(f"/api/v1/merchants/{merchant_b.pk}/").json()
    organiser_view = organiser_client.get(f"/api/v1/merchants/{merchant_b.pk}/").json()

    assert own["contact"]["contact_email"] == merchant_a.contact_email
    assert foreign["contact"] is None
    assert organiser_view["contact"]["contact_email"] == merchant_b.contact_email


def test_merchant_filters(anon_client, festival, merchant_a, merchant_b):
    tea = CategoryFactory(slug="tea")
    merchant_b.participations.get().categories.add(tea)
    partner = MerchantFactory(name="Silk Caravan", country="KZ", uscc=None, kind=MerchantKind.SILK_ROAD)
    ParticipationFactory(merchant=partner, festival=FestivalFactory())

    def ids(**params):
        response = anon_client.get("/api/v1/merchants/", params)
        assert response.status_code == 200, response.content
        return [m["id"] for m in response.json()["results"]]

    assert ids(festival=festival.slug) == [merchant_a.pk, merchant_b.pk]
    assert ids(category="tea") == [merchant_b.pk]
    assert ids(kind="silk_road") == [partner.pk]
    assert ids(country="kz") == [partner.pk]
    assert ids(q="caravan") == [partner.pk]
    assert ids(q=merchant_a.uscc) == [merchant_a.pk]
    assert anon_client.get("/api/v1/merchants/", {"kind": "nope"}).status_code == 400
    assert anon_client.get("/api/v1/merchants/", {"country": "too-long"}).status_code == 400


# Products and prices ----------------------------------------------------------------------------


def test_product_create_patch_and_duplicate_sku(client_a, merchant_a):
    CategoryFactory(slug="tea")

    created = client_a.post("/api/v1/products/", {"sku": "T-1", "name": "Tea", "category": "tea"}, format="json")
    duplicate = client_a.post("/api/v1/products/", {"sku": "T-1", "name": "Again"}, format="json")
    patched = client_a.patch(f"/api/v1/products/{created.json()['id']}/", {"unit": "盒"}, format="json")

    assert created.status_code == 201
    assert created.json()["category"] == "tea"
    assert duplicate.status_code == 400
    assert patched.json()["unit"] == "盒"
    assert Product.objects.filter(merchant=merchant_a).count() == 1


@pytest.mark.parametrize(
    "body", [{"sku": "", "name": "x"}, {"sku": "x" * 65, "name": "x"}, {"sku": "a", "name": "x", "category": "nope"}]
)
def test_product_bad_input(client_a, body):
    response = client_a.post("/api/v1/products/", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]


def test_record_one_price_and_list_history(client_a, merchant_a):
    product = ProductFactory(merchant=merchant_a)

    response = client_a.post(
        f"/api/v1/products/{product.pk}/prices/",
        {"price": "12.3", "recorded_at": "2026-01-02T10:00:00+08:00"},
        format="json",
    )
    clash = client_a.post(
        f"/api/v1/products/{product.pk}/prices/", {"price": "13", "recorded_at": "2026-01-02T02:00:00Z"}, format="json"
    )
    history = client_a.get(f"/api/v1/products/{product.pk}/prices/").json()

    assert response.status_code == 201
    assert response.json()["price"] == "12.30"
    assert response.json()["recorded_at"] == "2026-01-02T10:00:00+08:00"
    assert response.json()["source"] == "api"
    assert clash.status_code == 400  # the same instant, written in UTC
    assert history["count"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"price": "0", "recorded_at": "2026-01-02T10:00:00+08:00"},
        {"price": "-1", "recorded_at": "2026-01-02T10:00:00+08:00"},
        {"price": "abc", "recorded_at": "2026-01-02T10:00:00+08:00"},
        {"price": "1.234", "recorded_at": "2026-01-02T10:00:00+08:00"},
        {"price": "1e400", "recorded_at": "2026-01-02T10:00:00+08:00"},
        {"price": "10", "recorded_at": "not a time"},
        {"price": "10", "recorded_at": "0001-01-01T00:00:00+08:00"},
        {"price": "10"},
    ],
)
def test_price_bad_input(client_a, merchant_a, body):
    product = ProductFactory(merchant=merchant_a)

    response = client_a.post(f"/api/v1/products/{product.pk}/prices/", body, format="json")

    assert response.status_code == 400, response.content
    assert not PricePoint.objects.exists()


def test_bulk_prices_all_or_nothing(client_a, merchant_a):
    product = ProductFactory(merchant=merchant_a)
    now = timezone.now()
    rows = [
        {"product": product.pk, "price": f"{10 + i}.00", "recorded_at": (now - timedelta(hours=i)).isoformat()}
        for i in range(5)
    ]

    bad = client_a.post("/api/v1/prices/", {"prices": [*rows, {**rows[0], "price": "-1"}]}, format="json")
    duplicate = client_a.post("/api/v1/prices/", {"prices": [*rows, rows[0]]}, format="json")
    unknown = client_a.post("/api/v1/prices/", {"prices": [*rows, {**rows[0], "product": 10**12}]}, format="json")
    assert PricePoint.objects.count() == 0
    good = client_a.post("/api/v1/prices/", {"prices": rows}, format="json")

    assert bad.status_code == 400 and "5" in bad.json()["errors"]["prices"]
    assert duplicate.status_code == 400
    assert unknown.status_code == 400 and "5" in unknown.json()["errors"]["prices"]
    assert good.status_code == 201 and good.json() == {"created": 5}
    assert PricePoint.objects.count() == 5


@pytest.mark.parametrize("body", [{}, {"prices": []}, {"prices": "x"}, {"prices": [1, 2]}, [1], "text"])
def test_bulk_prices_bad_shapes(client_a, body):
    assert client_a.post("/api/v1/prices/", body, format="json").status_code == 400


def test_bulk_prices_takes_ten_thousand_and_refuses_more(client_a, merchant_a):
    product = ProductFactory(merchant=merchant_a)
    start = timezone.now() - timedelta(days=400)
    rows = [
        {"product": product.pk, "price": "9.90", "recorded_at": (start + timedelta(minutes=i)).isoformat()}
        for i in range(10_001)
    ]

    too_many = client_a.post("/api/v1/prices/", {"prices": rows}, format="json")
    exactly = client_a.post("/api/v1/prices/", {"prices": rows[:10_000]}, format="json")

    assert too_many.status_code == 400
    assert exactly.status_code == 201
    assert PricePoint.objects.count() == 10_000


# Sales reports -------------------------------------------------------------------------------------


def test_sales_report_is_an_idempotent_upsert(client_a, festival, merchant_a):
    day = festival.local(festival.starts_at).date().isoformat()
    body = {"festival": festival.slug, "date": day, "gmv": "1000", "orders": 10}

    first = client_a.post("/api/v1/sales-reports/", body, format="json")
    again = client_a.post("/api/v1/sales-reports/", {**body, "gmv": "1500.5"}, format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["gmv"] == "1500.50"
    assert SalesReport.objects.get(merchant=merchant_a).gmv == Decimal("1500.50")
    assert client_a.get("/api/v1/sales-reports/", {"festival": festival.slug}).json()["count"] == 1


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"gmv": "-1"}, 400),
        ({"orders": -1}, 400),
        ({"orders": "many"}, 400),
        ({"date": "2001-01-01"}, 400),
        ({"date": "not-a-date"}, 400),
        ({"festival": "nope"}, 400),
        ({"gmv": "1" * 30}, 400),
    ],
)
def test_sales_report_bad_input(client_a, festival, change, status):
    day = festival.local(festival.starts_at).date().isoformat()
    body = {"festival": festival.slug, "date": day, "gmv": "1000", "orders": 10, **change}

    assert client_a.post("/api/v1/sales-reports/", body, format="json").status_code == status
    assert not SalesReport.objects.exists()


def test_sales_report_for_a_festival_without_participation(client_a):
    other = FestivalFactory()
    body = {"festival": other.slug, "date": other.local(other.starts_at).date().isoformat(), "gmv": "1", "orders": 1}

    response = client_a.post("/api/v1/sales-reports/", body, format="json")

    assert response.status_code == 400
    assert "festival" in response.json()["errors"]


# Webhooks -------------------------------------------------------------------------------------------


def test_webhook_secret_only_at_creation(client_a):
    created = client_a.post(
        "/api/v1/webhooks/",
        {"url": "https://example.com/h", "events": ["promotion.live", "promotion.live"]},
        format="json",
    )
    listed = client_a.get("/api/v1/webhooks/").json()["results"]

    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    assert created.json()["events"] == ["promotion.live"]
    assert "secret" not in listed[0]
    assert client_a.delete(f"/api/v1/webhooks/{listed[0]['id']}/").status_code == 204
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/h", "events": ["promotion.live"]},
        {"url": "not a url", "events": ["promotion.live"]},
        {"url": "https://example.com/h", "events": []},
        {"url": "https://example.com/h", "events": ["promotion.exploded"]},
        {"url": "https://example.com/h"},
    ],
)
def test_webhook_bad_input(client_a, body):
    assert client_a.post("/api/v1/webhooks/", body, format="json").status_code == 400
    assert not WebhookSubscription.objects.exists()


def test_webhook_private_targets_refused_unless_allowed(client_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    response = client_a.post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/h", "events": ["promotion.live"]}, format="json"
    )

    assert response.status_code == 400
    assert "url" in response.json()["errors"]


def test_bulk_prices_refuses_an_over_long_list_before_checking_rows(client_a):
    rows = [{"product": "not even a number"}] * 50_000

    response = client_a.post("/api/v1/prices/", {"prices": rows}, format="json")

    assert response.status_code == 400
    # one message about the length, not 50,000 row errors
    assert response.json()["errors"]["prices"] == ["Ensure this field has no more than 10000 elements."]


@pytest.mark.parametrize("slug", ["bad\x00slug", "x" * 61, "with space", 17, None])
def test_impossible_slugs_are_400_not_database_errors(client_a, festival, slug):
    body = {"festival": slug, "date": festival.local(festival.starts_at).date().isoformat(), "gmv": "1", "orders": 1}

    response = client_a.post("/api/v1/sales-reports/", body, format="json")

    assert response.status_code == 400
    assert "festival" in response.json()["errors"]
