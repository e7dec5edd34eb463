from decimal import Decimal

import pytest

from api.serializers import FestivalSerializer, PromotionSerializer
from promotions.models import CheckStatus, ReferenceSource
from tests.factories import FestivalFactory, PromotionFactory, PromotionItemFactory

pytestmark = pytest.mark.django_db


def test_promotion_serializer_shows_items_with_their_check_and_only_its_kind_fields():
    item = PromotionItemFactory(
        promo_price=Decimal("80"),
        reference_price=Decimal("100"),
        reference_source=ReferenceSource.LOOKBACK,
        real_discount_percent=Decimal("20"),
        check_status=CheckStatus.PASS,
        check_reasons=[],
    )

    data = PromotionSerializer(item.promotion).data

    assert data["festival"] == item.promotion.festival.slug
    assert data["percent_off"] == "20.00"
    assert "amount_off" not in data and "stream_url" not in data
    assert data["items"] == [
        {
            "product": item.product_id,
            "sku": item.product.sku,
            "promo_price": "80.00",
            "reference_price": "100.00",
            "reference_source": "lookback",
            "real_discount_percent": "20.00",
            "check_status": "pass",
            "check_reasons": [],
        }
    ]
    assert data["starts_at"].endswith("+08:00")


def test_unchecked_item_shows_null_check():
    item = PromotionItemFactory()

    data = PromotionSerializer(item.promotion).data

    assert data["items"][0]["check_status"] is None
    assert data["items"][0]["reference_source"] is None


def test_festival_serializer_has_window_zone_status_and_rules():
    festival = FestivalFactory(min_discount_percent=Decimal("5"))

    data = FestivalSerializer(festival).data

    assert {"slug", "name", "time_zone", "starts_at", "ends_at", "status", "price_lookback_days"} <= set(data)
    assert data["min_discount_percent"] == "5.00"
    assert PromotionFactory(festival=festival).festival_id == festival.pk


KIND_VALUES = {
    "percent_off": {"percent_off": Decimal("12.5")},
    "amount_off": {"amount_off": Decimal("20")},
    "threshold": {"threshold_amount": Decimal("300"), "amount_off": Decimal("40")},
    "coupon": {"coupon_value": Decimal("10"), "coupon_quantity": 500, "threshold_amount": Decimal("99")},
    "flash_sale": {"flash_quantity": 100},
    "livestream": {"stream_host": "Li", "stream_url": "https://live.example/1"},
}


def promotion_of_kind(kind, **fields):
    """A promotion of ``kind`` with its kind's fields, a category and two items (one checked)."""
    from datetime import timedelta

    from django.utils import timezone

    from festival.models import Category

    extra = {"percent_off": None, **KIND_VALUES[kind], **fields}
    promotion = PromotionFactory(kind=kind, submitted_at=timezone.now(), **extra)
    if kind == "livestream":
        promotion.stream_starts_at = promotion.starts_at + timedelta(hours=1)
        promotion.save()
    promotion.categories.add(Category.objects.get_or_create(slug="tea", defaults={"name": "Tea"})[0])
    PromotionItemFactory(promotion=promotion, reference_price=Decimal("99.5"), check_reasons=["a reason"])
    PromotionItemFactory(promotion=promotion)
    return promotion


@pytest.mark.parametrize("kind", list(KIND_VALUES))
def test_fast_representation_equals_drf_fields_for_every_kind(kind):
    from promotions.models import Promotion

    promotion = promotion_of_kind(kind)
    promotion = Promotion.objects.get(pk=promotion.pk)
    serializer = PromotionSerializer()

    fast = serializer.to_representation(promotion)
    reference = serializer.field_representation(promotion)

    assert fast == reference
    assert list(fast) == list(reference)


@pytest.mark.parametrize("kind", list(KIND_VALUES))
def test_a_list_row_shows_what_the_drf_fields_show_of_the_promotion(kind):
    """The list builds its promotions from plain rows (api.selectors.ListedPromotion)."""
    from api import selectors
    from promotions.models import Promotion

    promotion = promotion_of_kind(kind, status="approved")
    serializer = PromotionSerializer()

    (listed,) = selectors.listed_page([promotion.pk])

    assert serializer.to_representation(listed) == serializer.field_representation(
        Promotion.objects.get(pk=promotion.pk)
    )


def test_a_list_page_keeps_the_order_of_its_ids_and_leaves_out_a_deleted_promotion():
    """On PostgreSQL a page is read in one query (api.selectors.LISTED_PAGE_SQL); it must
    give what the portable reading gives, row for row, in the page's order."""
    from api import selectors

    promotions = [promotion_of_kind(kind, status="approved") for kind in KIND_VALUES]
    PromotionItemFactory(promotion=promotions[0], check_status=CheckStatus.FAIL, check_reasons=["价格先涨后降"])
    bare = PromotionFactory(status="approved")  # no categories, no items
    ids = [bare.pk, *reversed([p.pk for p in promotions]), 10**9]  # the last: deleted since its id was read
    serializer = PromotionSerializer()

    page = [serializer.to_representation(listed) for listed in selectors.listed_page(ids)]
    portable = [serializer.to_representation(listed) for listed in selectors.listed_page_portable(ids)]

    assert page == portable
    assert [shown["id"] for shown in page] == ids[:-1]
    assert (page[0]["categories"], page[0]["items"]) == ([], [])
    assert [len(shown["items"]) for shown in page[1:]] == [2] * (len(KIND_VALUES) - 1) + [3]
    assert selectors.listed_page([]) == []


def test_the_items_a_list_attaches_equal_the_portable_formatting():
    """On PostgreSQL the list's items come as JSON written by the database
    (api.selectors.ITEMS_OUTPUT_SQL); they must be what the Python formatting gives."""
    from api import selectors
    from promotions.models import Promotion

    first, second = PromotionFactory(), PromotionFactory()
    PromotionItemFactory(
        promotion=first,
        promo_price=Decimal("80"),
        reference_price=Decimal("99.5"),
        reference_source=ReferenceSource.LOOKBACK,
        real_discount_percent=Decimal("19.6"),
        check_status=CheckStatus.WARNING,
        check_reasons=["价格先涨后降", "a second reason"],
    )
    PromotionItemFactory(promotion=first, promo_price=Decimal("0.01"))  # never checked: nulls
    PromotionItemFactory(promotion=second, reference_price=Decimal("1234567.89"), check_reasons=[])
    promotions = list(Promotion.objects.filter(pk__in=[first.pk, second.pk]))

    selectors.attach_promotion_details(promotions)

    expected = selectors.items_output_by_promotion_portable([first.pk, second.pk])
    assert {p.pk: getattr(p, selectors.PAGE_ITEMS) for p in promotions} == expected
    assert [item["promo_price"] for item in expected[first.pk]] == ["80.00", "0.01"]
