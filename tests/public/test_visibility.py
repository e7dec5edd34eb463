"""No page of the public site shows anything non-public: promotions in a
non-public status, merchants without an approved participation, failed items —
in any page, list, search result, count, chart or download."""

import csv
import io
import json

import pytest
from django.urls import reverse

from merchants.models import Participation, ParticipationStatus
from promotions.models import CheckStatus
from tests.factories import (
    CategoryFactory,
    CertificateFactory,
    MerchantFactory,
    ParticipationFactory,
    ProductFactory,
    SalesReportFactory,
)
from tests.public.conftest import fresh_get, live_item

pytestmark = pytest.mark.django_db

HIDDEN_STATUSES = ["draft", "submitted", "changes_requested", "withdrawn", "cancelled"]
HIDDEN_PARTICIPATIONS = [ParticipationStatus.APPLIED, ParticipationStatus.REJECTED, ParticipationStatus.WITHDRAWN]


def _pages(festival, promotion_pk=None, merchant_pk=None):
    urls = [
        reverse("public:index"),
        reverse("public:festival", args=[festival.slug]),
        reverse("public:promotions", args=[festival.slug]),
        reverse("public:promotions", args=[festival.slug]) + "?q=Hidden",
        reverse("public:promotions", args=[festival.slug]) + "?q=隐藏",
        reverse("public:merchants"),
    ]
    return urls


def _text(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize("status", HIDDEN_STATUSES)
def test_a_promotion_in_a_non_public_status_is_on_no_page_and_in_no_count(client, running_festival, status):
    brands = CategoryFactory(name="老字号", name_en="Time-honoured brands", slug="brands")
    hidden = live_item(running_festival, title="Hidden 隐藏 sale", status=status, category=brands)
    live_item(running_festival, title="Shown sale")

    for url in _pages(running_festival):
        assert "Hidden 隐藏 sale" not in _text(client, url), url
    assert client.get(reverse("public:promotion", args=[hidden.promotion_id])).status_code == 404
    home = fresh_get(client, reverse("public:index"))
    assert {row.category.slug: row.count for row in home.context["category_counts"]}["brands"] == 0
    listing = fresh_get(client, reverse("public:promotions", args=[running_festival.slug]))
    assert listing.context["page_obj"].paginator.count == 1


@pytest.mark.parametrize("status", ["approved", "live", "ended"])
def test_approved_live_and_ended_promotions_are_public(client, running_festival, status):
    shown = live_item(running_festival, title="Shown 展示 sale", status=status)

    listing = _text(client, reverse("public:promotions", args=[running_festival.slug]) + "?q=展示")

    assert "Shown 展示 sale" in listing
    assert client.get(reverse("public:promotion", args=[shown.promotion_id])).status_code == 200


@pytest.mark.parametrize("participation", HIDDEN_PARTICIPATIONS)
def test_a_merchant_without_an_approved_participation_is_on_no_page(client, running_festival, participation):
    merchant = MerchantFactory(name="Unapproved 未批准 shop")
    item = live_item(running_festival, title="Unapproved promo", merchant=merchant)
    Participation.objects.filter(merchant=merchant).update(status=participation)
    live_item(running_festival, title="Shown sale")

    for url in [*_pages(running_festival), reverse("public:merchants") + "?q=Unapproved"]:
        page = _text(client, url)
        assert "Unapproved 未批准 shop" not in page and "Unapproved promo" not in page, url
    assert client.get(reverse("public:promotion", args=[item.promotion_id])).status_code == 404
    assert client.get(reverse("public:merchant", args=[merchant.pk])).status_code == 404


def test_a_merchant_approved_for_another_festival_only_shows_no_promotion_here(
    client, running_festival, closed_festival
):
    merchant = MerchantFactory(name="Elsewhere shop")
    live_item(running_festival, title="Not approved here", merchant=merchant)
    Participation.objects.filter(merchant=merchant, festival=running_festival).update(
        status=ParticipationStatus.REJECTED
    )
    ParticipationFactory(merchant=merchant, festival=closed_festival)

    listing = _text(client, reverse("public:promotions", args=[running_festival.slug]))
    directory = _text(client, reverse("public:merchants") + f"?festival={running_festival.slug}")

    assert "Not approved here" not in listing
    assert "Elsewhere shop" not in directory
    assert "Elsewhere shop" in _text(client, reverse("public:merchants"))


def test_a_failed_item_is_never_public_not_even_by_search(client, running_festival):
    shown = live_item(running_festival, title="Tea week", product=ProductFactory(name="龙井茶"))
    live_item(
        running_festival,
        title="Other week",
        product=ProductFactory(name="失败的茶壶"),
        check_status=CheckStatus.FAIL,
    )
    # the failed item sits in a public promotion beside a passing one
    from tests.factories import PromotionItemFactory

    PromotionItemFactory(
        promotion=shown.promotion,
        product=ProductFactory(merchant=shown.promotion.merchant, name="失败的茶杯"),
        check_status=CheckStatus.FAIL,
        checked_at=shown.checked_at,
    )

    promotion_page = _text(client, reverse("public:promotion", args=[shown.promotion_id]))
    search = fresh_get(client, reverse("public:promotions", args=[running_festival.slug]), {"q": "失败"})

    assert "龙井茶" in promotion_page and "失败的茶杯" not in promotion_page
    assert search.context["page_obj"].paginator.count == 0
    assert "失败的茶" not in _text(client, reverse("public:index"))


def test_merchant_pages_never_show_contacts_or_certificate_scans(client, running_festival):
    item = live_item(running_festival)
    merchant = item.promotion.merchant
    merchant.contact_name, merchant.contact_phone = "Ms Secret", "+86 138 0000 0000"
    merchant.save()
    certificate = CertificateFactory(merchant=merchant, verified=True, number="GF123456789012")
    CertificateFactory(merchant=merchant, kind="organic", number="12345678901234567")  # pending

    for url in (reverse("public:merchants"), reverse("public:merchant", args=[merchant.pk])):
        page = _text(client, url)
        assert merchant.contact_email not in page and "Ms Secret" not in page and "138 0000" not in page
        assert certificate.number not in page and "/media/" not in page
        assert "Green food" in page
        assert "Organic" not in page


def test_results_count_only_public_promotions_and_approved_merchants(client, closed_festival):
    shown = live_item(closed_festival, title="Shown sale", status="ended")
    hidden = live_item(closed_festival, title="Hidden sale", status="withdrawn")
    unapproved = MerchantFactory(name="Unapproved shop")
    live_item(closed_festival, title="Unapproved sale", status="ended", merchant=unapproved)
    Participation.objects.filter(merchant=unapproved).update(status=ParticipationStatus.REJECTED)
    for merchant in (shown.promotion.merchant, hidden.promotion.merchant, unapproved):
        SalesReportFactory(merchant=merchant, festival=closed_festival, gmv="100.00", orders=1)
    Participation.objects.filter(merchant=hidden.promotion.merchant).update(status=ParticipationStatus.WITHDRAWN)

    page = fresh_get(client, reverse("public:results", args=[closed_festival.slug]))
    data = json.loads(client.get(reverse("public:results_json", args=[closed_festival.slug])).content)
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("public:results_csv", args=[closed_festival.slug])).content.decode()))
    )

    results = page.context["results"]
    assert results.merchants_by_kind == [("brand_enterprise", "Brand enterprise", 1)]
    assert [(k, n) for k, _label, n in results.promotions_by_kind] == [("percent_off", 1)]
    assert results.items_checked == 1 and results.items_passed == 1
    assert [(f"{gmv:.2f}", orders) for _day, gmv, orders in results.sales_by_day] == [("100.00", 1)]
    assert data["merchants_by_kind"] == {"brand_enterprise": 1}
    assert data["promotions_by_kind"] == {"percent_off": 1}
    assert data["sales_by_day"][0]["gmv"] == "100.00"
    assert ["promotions_by_kind", "percent_off", "1"] in rows
    assert ["merchants_by_kind", "brand_enterprise", "1"] in rows
