"""Property-based tests (hypothesis) of the reference price and the final price."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from festival.models import StackingStep
from merchants.models import PricePoint
from promotions import pricing
from promotions.models import PromotionItem, PromotionKind, ReferenceSource
from promotions.pricing import Offer
from tests.factories import ProductFactory, PromotionItemFactory
from tests.promotions.pricing_helpers import START, item

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
percents = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2)

# Minutes before the start, from 35 days before (beyond the 30-day raise window)
# to 10 minutes after (after-start prices must be ignored).
offsets = st.integers(min_value=-10, max_value=35 * 24 * 60)
histories = st.lists(st.tuples(offsets, money), max_size=12, unique_by=lambda point: point[0])

db_settings = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.fixture
def promotion_item(db):
    return item("1.00")


@pytest.mark.django_db
@db_settings
@given(history=histories)
def test_reference_never_exceeds_any_price_in_the_window_and_paths_agree(promotion_item, history):
    """Also: the bulk SQL and the one-product ORM paths agree with a plain-Python
    reading of the rules, for the reference and for the raise-then-cut level."""
    product = ProductFactory(merchant=promotion_item.promotion.merchant)
    it = PromotionItemFactory(promotion=promotion_item.promotion, product=product, promo_price=Decimal("1.00"))
    PricePoint.objects.bulk_create(
        PricePoint(product=product, price=amount, recorded_at=START - timedelta(minutes=minutes))
        for minutes, amount in history
    )
    window_start = START - timedelta(days=7)
    in_window = [a for m, a in history if window_start <= START - timedelta(minutes=m) < START]
    before = sorted((m, a) for m, a in history if START - timedelta(minutes=m) < window_start)

    bulk = pricing.reference_prices_for_items(PromotionItem.objects.filter(pk=it.pk))[it.pk]
    single = pricing.reference_price(product.pk, starts_at=START, lookback_days=7)
    history_bulk = pricing.price_histories_for_items(PromotionItem.objects.filter(pk=it.pk))[it.pk]
    level_single = pricing.earlier_price_level(product.pk, starts_at=START, lookback_days=7, raise_days=30)

    assert bulk == single == history_bulk.reference
    raise_start = START - timedelta(days=30)
    carried_in = [a for m, a in sorted(history) if START - timedelta(minutes=m) < raise_start][:1]
    earlier = [a for m, a in history if raise_start <= START - timedelta(minutes=m) < window_start]
    expected_level = min(carried_in + earlier) if carried_in + earlier else None
    assert history_bulk.earlier_level == level_single == expected_level
    if in_window:
        assert bulk.source == ReferenceSource.LOOKBACK
        assert all(bulk.price <= amount for amount in in_window)
        assert bulk.price in in_window
    elif before:
        assert bulk == pricing.Reference(before[0][1], ReferenceSource.FALLBACK)  # the latest before the window
    else:
        assert bulk == pricing.Reference(None, ReferenceSource.NONE)


def _offer(kind, data):
    if kind in (PromotionKind.FLASH_SALE, PromotionKind.LIVESTREAM):
        return Offer(kind=kind, item_price=data.draw(money))
    if kind == PromotionKind.PERCENT_OFF:  # with or without the item's own (declared) price
        return Offer(kind=kind, percent_off=data.draw(percents), item_price=data.draw(st.none() | money))
    if kind == PromotionKind.AMOUNT_OFF:
        return Offer(kind=kind, amount_off=data.draw(money), item_price=data.draw(st.none() | money))
    if kind == PromotionKind.THRESHOLD:
        spend = data.draw(money.filter(lambda m: m > Decimal("0.01")))
        off = data.draw(st.decimals(min_value=Decimal("0.01"), max_value=spend - Decimal("0.01"), places=2))
        return Offer(kind=kind, threshold=spend, amount_off=off)
    assert kind == PromotionKind.COUPON
    return Offer(kind=kind, coupon_value=data.draw(money), threshold=data.draw(st.none() | money))


@settings(max_examples=150, deadline=None)
@given(
    undiscounted=money,
    kinds=st.lists(st.sampled_from(sorted(pricing.STEP_FOR_KIND)), max_size=6),
    order=st.permutations(StackingStep.values),
    stackable=st.sets(st.sampled_from(PromotionKind.values)),
    data=st.data(),
)
def test_final_price_is_positive_and_never_above_the_undiscounted_price(undiscounted, kinds, order, stackable, data):
    offers = [_offer(kind, data) for kind in kinds]

    result = pricing.compute_final_price(undiscounted, offers, stacking_order=order, stackable_kinds=stackable)

    assert Decimal("0.01") <= result.final <= undiscounted
    assert result.final == result.final.quantize(Decimal("0.01"))
    amount = undiscounted
    for step in result.steps:
        assert step.before == amount and step.after <= step.before and step.after >= Decimal("0.01")
        amount = step.after
    assert amount == result.final


@settings(max_examples=100, deadline=None)
@given(undiscounted=money, kind=st.sampled_from([PromotionKind.PERCENT_OFF, PromotionKind.AMOUNT_OFF]), data=st.data())
def test_an_items_own_price_is_the_most_a_percent_or_amount_off_item_sells_for(undiscounted, kind, data):
    offer = _offer(kind, data)
    terms = pricing.compute_final_price(undiscounted, [replace(offer, item_price=None)]).final

    result = pricing.compute_final_price(undiscounted, [offer])

    own = offer.item_price if offer.item_price is not None else terms
    assert result.final == min(terms, own)
