"""The promotion form's arithmetic endpoint: reference price, the price the terms give, the verdict."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import (
    FestivalFactory,
    MembershipFactory,
    ParticipationFactory,
    PricePointFactory,
    ProductFactory,
)
from tests.portal import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(client):
    signed = sign_in(client)
    festival = FestivalFactory(min_discount_percent=Decimal("10"))
    ParticipationFactory(merchant=signed.merchant, festival=festival)
    product = ProductFactory(merchant=signed.merchant, sku="TEA-1")
    PricePointFactory(product=product, price=Decimal("120.00"), recorded_at=festival.starts_at - timedelta(days=5))
    PricePointFactory(product=product, price=Decimal("100.00"), recorded_at=festival.starts_at - timedelta(days=2))
    signed.festival = festival
    signed.product = product
    return signed


def _hint(shop, HTTP_ACCEPT_LANGUAGE="en", **params):
    url = reverse("merchant:promotion_price_hint", args=[shop.festival.pk])
    return shop.client.get(url, {"product": shop.product.pk, **params}, HTTP_ACCEPT_LANGUAGE=HTTP_ACCEPT_LANGUAGE)


def test_percent_off_fills_the_price_from_the_terms_and_passes(shop):
    body = _hint(shop, kind="percent_off", percent_off="20").json()
    assert body["reference_price"] == "100.00"
    assert body["reference_source"] == "lookback"
    assert body["computed_price"] == "80.00"
    assert body["price"] == "80.00"
    assert body["discount_percent"] == "20"
    assert body["verdict"] == "pass"


def test_amount_off_too_small_fails_the_minimum(shop):
    body = _hint(shop, kind="amount_off", amount_off="5").json()
    assert body["computed_price"] == "95.00"
    assert body["verdict"] == "fail"
    assert "below the festival's minimum of 10%" in body["message"]


def test_a_deeper_price_than_the_terms_is_allowed_and_explained(shop):
    body = _hint(shop, kind="percent_off", percent_off="20", promo_price="70").json()
    assert body["price"] == "70.00"
    assert body["computed_price"] == "80.00"
    assert body["consumer_price"] == "70.00"  # the item's own price is what it sells for
    assert body["deeper_than_terms"] is True
    assert body["discount_percent"] == "30"
    assert body["verdict"] == "pass"
    assert body["notes"] == [
        "Lower than the ¥80.00 the terms give: allowed. Consumers pay ¥70.00, a real discount of 30%."
    ]


def test_the_deeper_price_note_in_chinese(shop):
    body = _hint(shop, kind="amount_off", amount_off="15", promo_price="70", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert body["notes"] == ["低于按条款计算的 ¥85.00：允许，消费者按 ¥70.00 付款，实际折扣 30%。"]


def test_a_deeper_price_that_still_misses_the_minimum_fails_the_minimum_only(shop):
    body = _hint(shop, kind="percent_off", percent_off="2", promo_price="95").json()
    assert (body["computed_price"], body["consumer_price"], body["deeper_than_terms"]) == ("98.00", "95.00", True)
    assert body["verdict"] == "fail"
    assert "below the festival's minimum of 10%" in body["message"]
    assert body["notes"] == [
        "Lower than the ¥98.00 the terms give: allowed. Consumers pay ¥95.00, a real discount of 5%."
    ]


def test_a_deeper_price_that_is_no_discount_is_explained_without_one(shop):
    # Raised the day before: 20 % off ¥150 is ¥120; ¥110 is deeper but not below the reference ¥100.
    raised = ProductFactory(merchant=shop.merchant, sku="TEA-2")
    PricePointFactory(product=raised, price=Decimal("100.00"), recorded_at=shop.festival.starts_at - timedelta(days=5))
    PricePointFactory(product=raised, price=Decimal("150.00"), recorded_at=shop.festival.starts_at - timedelta(days=1))
    body = _hint(shop, product=raised.pk, kind="percent_off", percent_off="20", promo_price="110").json()
    assert (body["reference_price"], body["computed_price"], body["consumer_price"]) == ("100.00", "120.00", "110.00")
    assert body["verdict"] == "fail"
    assert body["notes"] == ["Lower than the ¥120.00 the terms give: allowed. Consumers pay ¥110.00."]


def test_a_higher_price_than_the_terms_keeps_the_checks_warning(shop):
    body = _hint(shop, kind="percent_off", percent_off="20", promo_price="85").json()
    assert (body["consumer_price"], body["deeper_than_terms"]) == ("80.00", False)
    assert body["notes"] == [
        "The promotion advertises ¥85.00, but 20% off the price before it starts (¥100.00) is ¥80.00: consumers "
        "pay less than advertised, so the advertised discount understates the real one; declare ¥80.00."
    ]


def test_other_kinds_show_the_reference_only(shop):
    body = _hint(shop, kind="flash_sale").json()
    assert body["reference_price"] == "100.00"
    assert body["computed_price"] is None
    assert body["verdict"] == "unknown"


def test_no_history_says_it_cannot_be_checked(shop):
    other = ProductFactory(merchant=shop.merchant, sku="TEA-2")
    body = _hint(shop, product=other.pk, kind="percent_off", percent_off="20").json()
    assert body["reference_source"] == "none"
    assert body["verdict"] == "unknown"


@pytest.mark.parametrize(
    "params",
    [{"product": "abc"}, {"product": ""}, {"starts_at": "tomorrow"}],
)
def test_bad_input_is_a_clear_400(shop, params):
    response = _hint(shop, **params)
    assert response.status_code == 400
    assert response.json()["error"]


def test_garbage_terms_are_ignored_not_a_500(shop):
    body = _hint(shop, kind="percent_off", percent_off="NaN", promo_price="-3").json()
    assert body["computed_price"] is None
    assert body["verdict"] == "unknown"


def test_another_merchants_product_is_refused_with_the_same_body_as_a_missing_one(shop):
    foreign = ProductFactory(merchant=MembershipFactory().merchant)
    refused = _hint(shop, product=foreign.pk)
    missing = _hint(shop, product=999999)
    assert refused.status_code == missing.status_code == 400
    assert refused.content == missing.content


def test_a_festival_the_merchant_is_not_in_is_404(shop):
    other = FestivalFactory()
    url = reverse("merchant:promotion_price_hint", args=[other.pk])
    assert shop.client.get(url, {"product": shop.product.pk}).status_code == 404


@pytest.mark.parametrize("status", ["draft", "changes_requested", "submitted", "approved", "live", "withdrawn"])
def test_the_delete_button_and_the_service_share_one_rule(shop, status):
    from promotions import services
    from promotions.models import Promotion
    from tests.factories import PromotionFactory

    promotion = PromotionFactory(merchant=shop.merchant, festival=shop.festival, status=status)
    page = shop.client.get(reverse("merchant:promotion_detail", args=[promotion.pk])).content.decode()
    shown = reverse("merchant:promotion_delete", args=[promotion.pk]) in page
    try:
        services.delete_promotion(promotion, by=shop.user)
    except services.DomainError:
        deleted = False
    else:
        deleted = True
    assert shown == deleted == (status in ("draft", "changes_requested"))
    assert Promotion.objects.filter(pk=promotion.pk).exists() is not deleted


def test_the_home_offers_filing_only_in_festivals_still_open(shop):
    from django.utils import timezone

    ended = FestivalFactory(
        name="Festival 2020",
        registration_opens_at=timezone.now() - timedelta(days=500),
        starts_at=timezone.now() - timedelta(days=400),
        ends_at=timezone.now() - timedelta(days=390),
        status="closed",
    )
    ParticipationFactory(merchant=shop.merchant, festival=ended)
    page = shop.client.get(reverse("merchant:home")).content.decode()
    assert reverse("merchant:promotion_create", args=[shop.festival.pk]) in page
    assert reverse("merchant:promotion_create", args=[ended.pk]) not in page
    assert page.count("Approved: you can file promotions.") == 1
    assert "This festival has ended" in page


def test_api_keys_live_inside_the_portal_shell_and_the_new_key_has_a_copy_button(client):
    from merchants.models import MembershipRole

    signed = sign_in(client, MembershipFactory(role=MembershipRole.OWNER))
    listing = signed.client.get(reverse("merchant_keys:list")).content.decode()
    assert reverse("merchant:products") in listing  # the portal's navigation
    assert reverse("merchant:logout") in listing
    created = signed.client.post(reverse("merchant_keys:create"), {"name": "Shop system", "scopes": ["read"]})
    page = created.content.decode()
    assert 'data-copy="raw-key"' in page
    assert reverse("merchant:products") in page


def test_the_api_docs_are_linked_from_the_portal_and_lead_back(client):
    from merchants.models import MembershipRole

    signed = sign_in(client, MembershipFactory(role=MembershipRole.OWNER))
    home = signed.client.get(reverse("merchant:home")).content.decode()
    assert reverse("api:docs") in home
    docs = signed.client.get(reverse("api:docs")).content.decode()
    assert f'href="{reverse("merchant:home")}"' in docs
