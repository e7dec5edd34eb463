"""Reference prices on hand-made histories, through both paths: one product (ORM
aggregate) and many items at once (the SQL path refresh_item_checks uses)."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from promotions import pricing
from promotions.models import PromotionItem, ReferenceSource
from tests.factories import ProductFactory
from tests.promotions.pricing_helpers import BEIJING, START, days_before, festival, item, price

pytestmark = pytest.mark.django_db


def _single(promotion_item):
    promotion = promotion_item.promotion
    return pricing.reference_price(
        promotion_item.product_id,
        starts_at=promotion.starts_at,
        lookback_days=promotion.festival.price_lookback_days,
    )


def _bulk(promotion_item):
    return pricing.reference_prices_for_items(PromotionItem.objects.filter(pk=promotion_item.pk))[promotion_item.pk]


@pytest.fixture(params=[_single, _bulk], ids=["one-product", "bulk-sql"])
def reference_of(request):
    return request.param


def test_reference_is_lowest_price_recorded_in_the_window(reference_of):
    it = item()
    price(it.product, "90.00", days_before(10))  # before the window: ignored
    price(it.product, "100.00", days_before(6))
    price(it.product, "95.00", days_before(4))
    price(it.product, "110.00", days_before(2))

    reference = reference_of(it)

    assert reference == pricing.Reference(Decimal("95.00"), ReferenceSource.LOOKBACK)


def test_price_recorded_exactly_at_window_start_counts(reference_of):
    it = item()
    price(it.product, "90.00", days_before(7))  # the window's first instant: inclusive
    price(it.product, "100.00", days_before(3))

    assert reference_of(it) == pricing.Reference(Decimal("90.00"), ReferenceSource.LOOKBACK)


def test_price_recorded_a_microsecond_before_window_start_does_not_count(reference_of):
    it = item()
    price(it.product, "90.00", days_before(7) - timedelta(microseconds=1))
    price(it.product, "100.00", days_before(3))

    assert reference_of(it) == pricing.Reference(Decimal("100.00"), ReferenceSource.LOOKBACK)


def test_price_recorded_at_the_start_itself_is_not_before_it(reference_of):
    it = item()
    price(it.product, "100.00", days_before(1))
    price(it.product, "50.00", START)  # the promotion's own price: exclusive end

    assert reference_of(it) == pricing.Reference(Decimal("100.00"), ReferenceSource.LOOKBACK)


def test_price_at_2330_beijing_the_evening_before_counts(reference_of):
    it = item()
    evening_before = datetime(2030, 4, 30, 23, 30, tzinfo=BEIJING)  # 15:30 UTC on 30 April
    assert START - evening_before == timedelta(minutes=30)
    price(it.product, "100.00", days_before(3))
    price(it.product, "70.00", evening_before)

    assert reference_of(it) == pricing.Reference(Decimal("70.00"), ReferenceSource.LOOKBACK)


def test_price_at_2330_beijing_eight_days_before_is_outside_a_seven_day_window(reference_of):
    # The window opens at 00:00 Beijing on 24 April = 16:00 UTC on 23 April. Counting
    # whole UTC days instead would either let the 23:30 (23 April) price in or keep
    # the 07:30 (24 April, still 23 April in UTC) price out.
    it = item()
    price(it.product, "60.00", datetime(2030, 4, 22, 23, 30, tzinfo=BEIJING))
    price(it.product, "65.00", datetime(2030, 4, 23, 23, 30, tzinfo=BEIJING))  # half an hour too early
    price(it.product, "66.00", datetime(2030, 4, 24, 7, 30, tzinfo=BEIJING))  # 23:30 UTC on 23 April: inside

    assert reference_of(it) == pricing.Reference(Decimal("66.00"), ReferenceSource.LOOKBACK)


def test_several_prices_in_one_day_take_the_lowest(reference_of):
    it = item()
    day = days_before(2)
    price(it.product, "100.00", day.replace(hour=9))
    price(it.product, "85.00", day.replace(hour=12))
    price(it.product, "100.00", day.replace(hour=18))

    assert reference_of(it) == pricing.Reference(Decimal("85.00"), ReferenceSource.LOOKBACK)


def test_equal_prices_give_that_price(reference_of):
    it = item()
    for n in (6, 4, 2):
        price(it.product, "100.00", days_before(n))

    assert reference_of(it) == pricing.Reference(Decimal("100.00"), ReferenceSource.LOOKBACK)


def test_no_price_in_window_falls_back_to_last_earlier_price(reference_of):
    it = item()
    price(it.product, "80.00", days_before(20))
    price(it.product, "120.00", days_before(9))  # the last one before the window, though not the lowest

    assert reference_of(it) == pricing.Reference(Decimal("120.00"), ReferenceSource.FALLBACK)


def test_no_price_before_the_start_is_no_history(reference_of):
    it = item()
    price(it.product, "100.00", START + timedelta(hours=1))
    price(ProductFactory(merchant=it.product.merchant), "100.00", days_before(2))  # another product

    assert reference_of(it) == pricing.Reference(None, ReferenceSource.NONE)


def test_lookback_length_is_the_festival_setting(reference_of):
    it = item(fest=festival(price_lookback_days=30))
    price(it.product, "90.00", days_before(25))
    price(it.product, "100.00", days_before(3))

    assert reference_of(it) == pricing.Reference(Decimal("90.00"), ReferenceSource.LOOKBACK)


def test_other_products_prices_do_not_leak_in(reference_of):
    it = item()
    price(it.product, "100.00", days_before(2))
    price(ProductFactory(merchant=it.product.merchant), "1.00", days_before(2))

    assert reference_of(it) == pricing.Reference(Decimal("100.00"), ReferenceSource.LOOKBACK)


def test_bulk_references_take_one_query_for_many_items():
    fest = festival()
    items = [item(fest=fest) for _ in range(5)]
    for n, it in enumerate(items):
        price(it.product, f"{100 + n}.00", days_before(2))
    items[0].promotion.starts_at = START + timedelta(days=2)  # another start, another window
    items[0].promotion.save()

    with CaptureQueriesContext(connection) as queries:
        references = pricing.reference_prices_for_items(PromotionItem.objects.all())

    # (on PostgreSQL a few more statements turn JIT off and on around it)
    assert len([q for q in queries.captured_queries if "merchants_pricepoint" in q["sql"]]) == 1
    assert references == {
        it.pk: pricing.Reference(Decimal(f"{100 + n}.00"), ReferenceSource.LOOKBACK) for n, it in enumerate(items)
    }


def test_bulk_window_follows_each_promotion_start():
    fest = festival()
    early, late = item(fest=fest), item(fest=fest, starts_at=START + timedelta(days=5))
    for it in (early, late):
        price(it.product, "100.00", days_before(3))
        price(it.product, "70.00", START + timedelta(days=2))  # before the late start only

    references = pricing.reference_prices_for_items(PromotionItem.objects.all())

    assert references[early.pk].price == Decimal("100.00")
    assert references[late.pk].price == Decimal("70.00")


def test_lookback_window_refuses_less_than_a_day():
    with pytest.raises(pricing.PricingError):
        pricing.lookback_window(START, 0)


def _jit():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        return cursor.fetchone()[0]


def test_bulk_queries_run_without_jit_and_restore_the_setting():
    if connection.vendor == "postgresql":
        # Connections start with JIT off (festival/settings.py); a session that turned it on
        # must still get the bulk queries without it, and keep its own setting afterwards.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = on")
    with pricing.without_jit():
        inside = _jit() if connection.vendor == "postgresql" else None

    after = _jit() if connection.vendor == "postgresql" else None
    assert (inside, after) == (("off", "on") if connection.vendor == "postgresql" else (None, None))


def test_without_jit_costs_one_query_where_jit_is_off_already(django_assert_num_queries):
    expected = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(expected), pricing.without_jit():
        pass
    if connection.vendor == "postgresql":
        assert _jit() == "off"
