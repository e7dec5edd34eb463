from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from promotions.models import Promotion, PromotionStatus
from tests.factories import (
    CategoryFactory,
    FestivalFactory,
    PricePointFactory,
    ProductFactory,
    PromotionFactory,
    PromotionItemFactory,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/promotions/"


def _body(festival_, **extra):
    start = festival_.starts_at + timedelta(days=1)
    return {
        "festival": festival_.slug,
        "title": "Spring sale",
        "kind": "percent_off",
        "percent_off": "15",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat(),
        **extra,
    }


@pytest.fixture
def product_a(merchant_a):
    product = ProductFactory(merchant=merchant_a)
    PricePointFactory(product=product, price=Decimal("100.00"), recorded_at=timezone.now() - timedelta(days=1))
    return product


def test_create_draft_with_items_and_categories(client_a, festival, merchant_a, product_a):
    category = CategoryFactory(slug="food")

    response = client_a.post(
        URL,
        _body(festival, categories=["food"], items=[{"product": product_a.pk, "promo_price": "79.5"}]),
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "draft"
    assert data["merchant"] == merchant_a.pk
    assert data["categories"] == ["food"]
    assert data["percent_off"] == "15.00"
    assert "amount_off" not in data
    assert data["items"][0]["promo_price"] == "79.50"
    assert data["items"][0]["check_status"] is None
    assert Promotion.objects.get(pk=data["id"]).categories.get() == category


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"percent_off": None}, "percent_off"),
        ({"amount_off": "5"}, "amount_off"),
        ({"festival": "no-such-festival"}, "festival"),
        ({"kind": "bogus"}, "kind"),
        ({"starts_at": "yesterday"}, "starts_at"),
        ({"starts_at": "0001-01-01T00:00:00+08:00"}, "starts_at"),
        ({"percent_off": "120"}, "percent_off"),
        ({"percent_off": "NaN"}, "percent_off"),
        ({"title": ""}, "title"),
        ({"categories": ["nope"]}, "categories"),
        ({"items": [{"product": 99999999, "promo_price": "1"}]}, "items"),
        ({"items": [{"product": "x", "promo_price": "1"}]}, "items"),
        ({"items": "not a list"}, "items"),
        ({"items": [{"product": 1, "promo_price": "1"}] * 1001}, "items"),
    ],
)
def test_create_refuses_bad_input_per_field(client_a, festival, change, field):
    response = client_a.post(URL, _body(festival, **change), format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Promotion.objects.exists()


def test_create_outside_the_window_names_the_field(client_a, festival):
    body = _body(festival, starts_at=(festival.ends_at + timedelta(days=1)).isoformat())
    body["ends_at"] = (festival.ends_at + timedelta(days=2)).isoformat()

    response = client_a.post(URL, body, format="json")

    assert response.status_code == 400
    assert "starts_at" in response.json()["errors"]


def test_create_in_a_festival_the_merchant_is_not_in_is_refused(client_a):
    other = FestivalFactory()

    response = client_a.post(URL, _body(other), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "not_participant"


def test_create_in_a_festival_that_has_ended_is_refused_like_in_the_portal(client_a, festival, merchant_a):
    body = _body(festival)
    drafts = Promotion.objects.count()

    with time_machine.travel(festival.ends_at + timedelta(seconds=1), tick=False):
        response = client_a.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "festival_ended"
    assert Promotion.objects.count() == drafts


def test_create_with_a_foreign_product_is_refused(client_b, festival, product_a):
    response = client_b.post(
        URL, _body(festival, items=[{"product": product_a.pk, "promo_price": "50"}]), format="json"
    )

    assert response.status_code == 400
    assert "items" in response.json()["errors"]


def test_patch_replaces_items_and_changing_kind_clears_other_fields(client_a, festival, merchant_a, product_a):
    promotion = PromotionFactory(merchant=merchant_a, festival=festival)
    PromotionItemFactory(promotion=promotion, promo_price=Decimal("10"))

    response = client_a.patch(
        f"{URL}{promotion.pk}/",
        {"kind": "amount_off", "amount_off": "20", "items": [{"product": product_a.pk, "promo_price": "88"}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["kind"] == "amount_off" and data["amount_off"] == "20.00" and "percent_off" not in data
    assert [i["product"] for i in data["items"]] == [product_a.pk]


def test_patch_cannot_move_festival(client_a, festival, merchant_a):
    promotion = PromotionFactory(merchant=merchant_a, festival=festival)

    response = client_a.patch(f"{URL}{promotion.pk}/", {"festival": FestivalFactory().slug}, format="json")

    assert response.status_code == 400
    assert "festival" in response.json()["errors"]


@pytest.mark.parametrize("status", ["submitted", "approved", "live", "ended", "withdrawn"])
def test_only_drafts_and_changes_requested_can_be_edited_or_deleted(client_a, festival, merchant_a, status):
    promotion = PromotionFactory(merchant=merchant_a, festival=festival, status=status)

    assert client_a.patch(f"{URL}{promotion.pk}/", {"title": "x"}, format="json").status_code == 409
    assert client_a.delete(f"{URL}{promotion.pk}/").status_code == 409
    promotion.refresh_from_db()
    assert promotion.title != "x"


def test_changes_requested_can_be_edited_and_deleted(client_a, festival, merchant_a):
    promotion = PromotionFactory(merchant=merchant_a, festival=festival, changes_requested=True)

    assert client_a.patch(f"{URL}{promotion.pk}/", {"title": "Better"}, format="json").status_code == 200
    assert client_a.delete(f"{URL}{promotion.pk}/").status_code == 204
    assert not Promotion.objects.filter(pk=promotion.pk).exists()


def test_submit_passes_and_stores_the_check(client_a, festival, merchant_a, product_a):
    promotion = PromotionFactory(merchant=merchant_a, festival=festival)
    PromotionItemFactory(promotion=promotion, product=product_a, promo_price=Decimal("80"))

    response = client_a.post(f"{URL}{promotion.pk}/submit/")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "submitted"
    item = data["items"][0]
    assert item["reference_price"] == "100.00"
    assert item["reference_source"] == "fallback"
    assert item["real_discount_percent"] == "20.00"
    assert item["check_status"] == "warning"
    assert item["check_reasons"]


def test_refused_submit_answers_400_with_failing_items_and_reasons(client_a, festival, merchant_a, product_a):
    promotion = PromotionFactory(merchant=merchant_a, festival=festival)
    PromotionItemFactory(promotion=promotion, product=product_a, promo_price=Decimal("99"))

    response = client_a.post(f"{URL}{promotion.pk}/submit/")

    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "items_fail_check"
    assert data["items"][0]["product"] == product_a.pk
    assert data["items"][0]["sku"] == product_a.sku
    assert data["items"][0]["check_status"] == "fail"
    assert any("1.00%" in reason for reason in data["items"][0]["reasons"])
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.DRAFT


def test_submit_without_items_is_a_400(client_a, festival, merchant_a):
    promotion = PromotionFactory(merchant=merchant_a, festival=festival)

    response = client_a.post(f"{URL}{promotion.pk}/submit/")

    assert response.status_code == 400
    assert response.json()["code"] == "no_items"


def test_withdraw_and_illegal_transition_is_409(client_a, festival, merchant_a):
    live = PromotionFactory(merchant=merchant_a, festival=festival, live=True)
    ended = PromotionFactory(merchant=merchant_a, festival=festival, ended=True)

    assert client_a.post(f"{URL}{live.pk}/withdraw/").json()["status"] == "withdrawn"
    response = client_a.post(f"{URL}{ended.pk}/withdraw/")
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"


def test_public_sees_public_statuses_only(anon_client, festival, merchant_a):
    shown = {
        PromotionFactory(merchant=merchant_a, festival=festival, status=s).pk for s in ("approved", "live", "ended")
    }
    for status in ("draft", "submitted", "changes_requested", "withdrawn", "cancelled"):
        PromotionFactory(merchant=merchant_a, festival=festival, status=status)

    listed = {p["id"] for p in anon_client.get(URL).json()["results"]}

    assert listed == shown


def test_merchant_sees_its_own_drafts_and_organiser_everything(
    client_a, organiser_client, festival, merchant_a, merchant_b
):
    own_draft = PromotionFactory(merchant=merchant_a, festival=festival)
    foreign_submitted = PromotionFactory(merchant=merchant_b, festival=festival, submitted=True)

    mine = {p["id"] for p in client_a.get(URL).json()["results"]}
    everything = {p["id"] for p in organiser_client.get(URL).json()["results"]}

    assert own_draft.pk in mine and foreign_submitted.pk not in mine
    assert {own_draft.pk, foreign_submitted.pk} <= everything


def test_filters_and_ordering(anon_client, festival, merchant_a, merchant_b):
    food = CategoryFactory(slug="food")
    tea = CategoryFactory(slug="tea", parent=food)
    first = PromotionFactory(merchant=merchant_a, festival=festival, approved=True)
    first.categories.add(tea)
    later_start = festival.starts_at + timedelta(days=5)
    second = PromotionFactory(
        merchant=merchant_b,
        festival=festival,
        live=True,
        kind="amount_off",
        percent_off=None,
        amount_off=Decimal("5"),
        starts_at=later_start,
        ends_at=later_start + timedelta(days=1),
    )
    PromotionFactory(approved=True)  # another festival

    def ids(**params):
        return [p["id"] for p in anon_client.get(URL, params).json()["results"]]

    assert ids(festival=festival.slug) == [first.pk, second.pk]
    assert ids(festival=festival.slug, ordering="-starts_at") == [second.pk, first.pk]
    assert ids(merchant=merchant_b.pk) == [second.pk]
    assert ids(category="food") == [first.pk]
    assert ids(category="tea") == [first.pk]
    assert ids(kind="amount_off") == [second.pk]
    assert ids(status="live") == [second.pk]
    assert ids(active_at=(later_start + timedelta(hours=1)).isoformat(), festival=festival.slug) == [second.pk]
    assert ids(festival="unknown-festival") == []
    assert ids(active_at="2838-12-06T10:08:30-21:26") == []  # an offset PostgreSQL would refuse


@pytest.mark.parametrize(
    "params",
    [
        {"merchant": "abc"},
        {"merchant": "-1"},
        {"merchant": "99999999999999999999999"},
        {"active_at": "tomorrow"},
        {"active_at": "0001-01-01T00:00:00+14:00"},
        {"status": "bogus"},
        {"kind": "bogus"},
        {"festival": "x" * 500},
    ],
)
def test_bad_filters_answer_400(anon_client, params):
    response = anon_client.get(URL, params)

    assert response.status_code == 400
    assert response.json()["errors"]


@pytest.mark.parametrize(
    "url", [f"{URL}0/", f"{URL}99999999999999999/", f"{URL}abc/", f"{URL}99999999999999999999999/", f"{URL}%00/"]
)
def test_unknown_promotions_are_404(anon_client, url):
    assert anon_client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"items": None}, "items"),
        ({"categories": None}, "categories"),
        ({"items": [{"product": 1, "promo_price": "1"}] * 2}, "items"),
        ({"kind": "threshold", "threshold_amount": "10", "amount_off": "20"}, "amount_off"),
        ({"kind": "livestream"}, "stream_host"),
        ({"ends_at": "2001-01-01T00:00:00+08:00"}, "ends_at"),
    ],
)
def test_patch_bad_input_is_400_and_changes_nothing(client_a, festival, merchant_a, change, field):
    promotion = PromotionFactory(merchant=merchant_a, festival=festival, title="Before")

    response = client_a.patch(f"{URL}{promotion.pk}/", {**change, "title": "After"}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    promotion.refresh_from_db()
    assert promotion.title == "Before"
