"""The final price (到手价): offers combined step by step in the festival's stacking order."""

from datetime import timedelta
from decimal import Decimal

import pytest

from festival.models import StackingStep
from promotions import pricing
from promotions.models import PromotionKind
from promotions.pricing import Offer, compute_final_price
from tests.factories import PromotionItemFactory
from tests.promotions.pricing_helpers import START, days_before, festival, item, price

D = Decimal


def flash(price_, title="Flash"):
    return Offer(kind=PromotionKind.FLASH_SALE, title=title, item_price=D(price_))


def percent(value, title="Percent"):
    return Offer(kind=PromotionKind.PERCENT_OFF, title=title, percent_off=D(value))


def amount(value, title="Amount"):
    return Offer(kind=PromotionKind.AMOUNT_OFF, title=title, amount_off=D(value))


def threshold(spend, off, title="Threshold"):
    return Offer(kind=PromotionKind.THRESHOLD, title=title, threshold=D(spend), amount_off=D(off))


def coupon(value, spend=None, title="Coupon"):
    return Offer(kind=PromotionKind.COUPON, title=title, coupon_value=D(value), threshold=spend and D(spend))


def _chain(result):
    return [(s.step, s.before, s.after, s.applied) for s in result.steps]


def test_default_order_applies_each_step_to_what_the_previous_left():
    offers = [coupon("20", "60"), threshold("50", "10"), amount("5"), percent("10"), flash("90")]

    result = compute_final_price(D("100.00"), offers)

    assert _chain(result) == [
        (StackingStep.ITEM_PRICE, D("100.00"), D("90.00"), True),
        (StackingStep.PERCENT_OFF, D("90.00"), D("81.00"), True),
        (StackingStep.AMOUNT_OFF, D("81.00"), D("76.00"), True),
        (StackingStep.THRESHOLD, D("76.00"), D("66.00"), True),
        (StackingStep.COUPON, D("66.00"), D("46.00"), True),
    ]
    assert (result.undiscounted, result.final, result.saving, result.discount_percent) == (
        D("100.00"),
        D("46.00"),
        D("54.00"),
        D("54.00"),
    )
    assert [s.label for s in result.steps] == [
        "Flash: promotional price ¥90.00",
        "Percent: 10% off",
        "Amount: ¥5.00 off",
        "Threshold: ¥10.00 off every ¥50.00",
        "Coupon: coupon ¥20.00 for a spend of ¥60.00",
    ]


def test_coupon_threshold_is_checked_against_the_discounted_amount():
    result = compute_final_price(D("100.00"), [percent("50"), coupon("20", "60")])

    assert result.final == D("50.00")
    assert result.steps[-1].applied is False
    assert result.steps[-1].note == "Spend threshold ¥60.00 not reached."


def test_threshold_takes_its_amount_off_every_full_multiple():
    result = compute_final_price(D("450.00"), [threshold("200", "30")])

    assert result.final == D("390.00")
    assert result.steps[0].note == "Applied 2 times."


def test_threshold_not_reached_changes_nothing():
    result = compute_final_price(D("199.99"), [threshold("200", "30")])

    assert (result.final, result.steps[0].applied) == (D("199.99"), False)


def test_threshold_exactly_reached_applies():
    assert compute_final_price(D("200.00"), [threshold("200", "30")]).final == D("170.00")


@pytest.mark.parametrize("offer", [coupon("20"), amount("50"), coupon("10.00", "10.00")])
def test_price_never_reaches_zero_it_is_floored_at_one_fen(offer):
    result = compute_final_price(D("10.00"), [offer])

    assert result.final == D("0.01")
    assert result.steps[0].note == "Limited to ¥0.01: the price can never reach zero."


def test_item_price_above_the_current_amount_does_not_raise_it():
    result = compute_final_price(D("80.00"), [flash("90.00")])

    assert (result.final, result.steps[0].applied) == (D("80.00"), False)


@pytest.mark.parametrize(
    ("offer", "given"),
    [
        (Offer(kind=PromotionKind.PERCENT_OFF, title="Tea", percent_off=D("20"), item_price=D("70.00")), "80.00"),
        (Offer(kind=PromotionKind.AMOUNT_OFF, title="Tea", amount_off=D("10"), item_price=D("70.00")), "90.00"),
    ],
)
def test_an_items_own_price_deeper_than_the_terms_is_what_it_sells_for(offer, given):
    result = compute_final_price(D("100.00"), [offer, coupon("5", "60")])

    assert [(s.before, s.after) for s in result.steps] == [(D("100.00"), D("70.00")), (D("70.00"), D("65.00"))]
    assert result.steps[0].note == (f"The item's own promotional price ¥70.00 is lower than the terms give (¥{given}).")
    assert result.final == D("65.00")  # the coupon's minimum is measured on the item's own price


def test_an_items_own_price_above_the_terms_changes_nothing():
    offer = Offer(kind=PromotionKind.PERCENT_OFF, percent_off=D("20"), item_price=D("90.00"))

    result = compute_final_price(D("100.00"), [offer])

    assert (result.final, result.steps[0].note) == (D("80.00"), "")


def test_of_two_offers_that_do_not_stack_the_better_applies():
    result = compute_final_price(D("100.00"), [percent("10", "Small"), percent("30", "Big")])

    assert result.final == D("70.00")
    assert [(s.label, s.applied) for s in result.steps] == [("Small: 10% off", False), ("Big: 30% off", True)]
    assert result.steps[0].note == "Does not combine with a better offer of the same kind."


def test_stackable_offers_all_apply_in_turn():
    result = compute_final_price(D("100.00"), [coupon("10", "90", "First"), coupon("5", "90", "Second")])

    assert [(s.before, s.after, s.applied) for s in result.steps] == [
        (D("100.00"), D("90.00"), True),
        (D("90.00"), D("85.00"), True),
    ]


def test_stacking_order_is_the_festivals_choice():
    offers = [percent("10"), coupon("20", "100")]

    default = compute_final_price(D("100.00"), offers)
    coupon_first = compute_final_price(D("100.00"), offers, stacking_order=["coupon", "percent_off"])

    assert default.final == D("90.00")  # 10 % → 90, below the coupon's ¥100 minimum
    assert coupon_first.final == D("72.00")  # coupon → 80, then 10 % → 72


def test_step_missing_from_the_stacking_order_does_not_apply():
    result = compute_final_price(D("100.00"), [percent("10"), amount("5")], stacking_order=["percent_off"])

    assert result.final == D("90.00")


def test_percent_step_rounds_half_up_to_the_fen():
    assert compute_final_price(D("33.33"), [percent("10")]).final == D("30.00")  # 29.997
    assert compute_final_price(D("0.05"), [percent("10")]).final == D("0.05")  # 0.045 → 0.05
    assert compute_final_price(D("0.15"), [percent("10")]).final == D("0.14")  # 0.135 → 0.14


def test_no_offers_is_the_undiscounted_price():
    result = compute_final_price("99.999", [])

    assert (result.final, result.steps) == (D("100.00"), [])


@pytest.mark.parametrize("undiscounted", ["0", "-1.00", "0.001"])
def test_zero_and_negative_undiscounted_prices_are_refused(undiscounted):
    with pytest.raises(pricing.PricingError, match="greater than zero"):
        compute_final_price(undiscounted, [percent("10")])


@pytest.mark.parametrize(
    "offer", [percent("0"), percent("100"), percent("-5"), amount("0"), coupon("-1"), threshold("0", "5"), flash("0")]
)
def test_nonsense_offers_are_refused(offer):
    with pytest.raises(pricing.PricingError):
        compute_final_price(D("100.00"), [offer])


# From the database -------------------------------------------------------------------------


@pytest.mark.django_db
def test_final_price_combines_the_promotions_running_at_that_moment():
    fest = festival()
    flash_item = item(
        "90.00", fest=fest, kind=PromotionKind.FLASH_SALE, percent_off=None, flash_quantity=50, status="live"
    )
    product = flash_item.product
    coupon_promotion = item(
        "95.00",
        fest=fest,
        kind=PromotionKind.COUPON,
        percent_off=None,
        coupon_value=D("10"),
        threshold_amount=D("50"),
        coupon_quantity=10,
        status="approved",
        title="Red envelope",
    ).promotion
    PromotionItemFactory(promotion=coupon_promotion, product=product, promo_price=D("95.00"))
    draft = item("50.00", fest=fest).promotion  # a draft never applies
    PromotionItemFactory(promotion=draft, product=product, promo_price=D("50.00"))
    price(product, "100.00", days_before(3))
    price(product, "90.00", START + timedelta(hours=1))  # recorded during the promotion: not the list price

    result = pricing.final_price(product, at=START + timedelta(days=1))

    assert (result.undiscounted, result.final) == (D("100.00"), D("80.00"))
    assert [s.label for s in result.steps] == [
        f"{flash_item.promotion.title}: promotional price ¥90.00",
        "Red envelope: coupon ¥10.00 for a spend of ¥50.00",
    ]


@pytest.mark.django_db
def test_final_price_without_promotions_is_the_price_in_effect():
    it = item("80.00")
    price(it.product, "100.00", days_before(3))

    result = pricing.final_price(it.product, at=START + timedelta(days=1))  # the draft does not apply

    assert (result.final, result.steps) == (D("100.00"), [])


@pytest.mark.django_db
def test_final_price_after_the_promotion_ended_has_no_steps():
    it = item("80.00", status="approved", days=1)
    price(it.product, "100.00", days_before(3))

    assert pricing.final_price(it.product, at=START + timedelta(days=1)).steps == []
    assert pricing.final_price(it.product, at=START + timedelta(hours=23)).final == D("80.00")


@pytest.mark.django_db
def test_final_price_of_a_product_without_prices_is_none():
    assert pricing.final_price(item().product, at=START) is None
