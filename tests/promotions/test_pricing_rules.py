"""The item rules: real discount and minimum, money input, raise-then-cut, overlap."""

from datetime import timedelta
from decimal import Decimal

import pytest

from promotions import pricing, services
from promotions.models import CheckStatus, PromotionItem, PromotionKind, ReferenceSource
from tests.factories import PromotionFactory, PromotionItemFactory
from tests.promotions.pricing_helpers import START, days_before, festival, item, price

pytestmark = pytest.mark.django_db


def _history(it, *prices):
    for days, amount in prices:
        price(it.product, amount, days_before(days))


def _check(it):
    return pricing.check_items(PromotionItem.objects.filter(pk=it.pk))[0]


# Real discount and the minimum ------------------------------------------------------


def test_item_at_least_the_minimum_below_reference_passes():
    it = item("80.00")
    _history(it, (3, "100.00"))

    check = _check(it)

    assert (check.status, check.real_discount_percent, check.reasons) == (CheckStatus.PASS, Decimal("20.00"), [])


def test_discount_exactly_at_the_minimum_passes():
    it = item("95.00", percent_off=Decimal("5"))  # festival minimum is 5 %
    _history(it, (3, "100.00"))

    assert _check(it).status == CheckStatus.PASS


def test_discount_a_fen_short_of_the_minimum_fails_with_reason():
    it = item("95.01", percent_off=Decimal("5"))  # a fen above what 5 % off gives: tolerated
    _history(it, (3, "100.00"))

    check = _check(it)

    assert check.status == CheckStatus.FAIL
    assert check.reasons == ["¥95.01 is only 4.99% below the reference price ¥100.00; at least 5% is required."]


def test_rounding_for_display_never_turns_a_fail_into_a_pass():
    # 10 / 200.01 = 4.99975 %: shown as 5.00 %, still below the 5 % minimum.
    it = item("190.01")
    _history(it, (3, "200.01"))

    check = _check(it)

    assert check.real_discount_percent == Decimal("5.00")
    assert check.status == CheckStatus.FAIL


@pytest.mark.parametrize("minimum", [Decimal("5"), Decimal("0")])
def test_promo_price_equal_to_reference_is_not_a_discount(minimum):
    it = item("100.00", fest=festival(min_discount_percent=minimum))
    _history(it, (3, "100.00"))

    check = _check(it)

    assert check.status == CheckStatus.FAIL
    assert check.real_discount_percent == Decimal("0.00")
    assert "not below the reference price ¥100.00" in check.reasons[0]


def test_promo_price_above_reference_fails():
    it = item("120.00")
    _history(it, (3, "100.00"))

    check = _check(it)

    assert (check.status, check.real_discount_percent) == (CheckStatus.FAIL, Decimal("-20.00"))


def test_price_absurdly_above_reference_fails_and_can_be_stored():
    it = item("9999.00")
    _history(it, (3, "0.01"))

    services.refresh_item_checks(it.promotion)

    it.refresh_from_db()
    assert (it.check_status, it.real_discount_percent) == (CheckStatus.FAIL, Decimal("-99999.99"))


@pytest.mark.parametrize("promo", [Decimal("0"), Decimal("-5.00"), Decimal("0.004"), None])
def test_zero_and_negative_promo_prices_fail(promo):
    it = item()
    _history(it, (3, "100.00"))
    unsaved = PromotionItem(promotion=it.promotion, product=it.product, promo_price=promo)

    check = pricing.check_item(unsaved)

    assert check.status == CheckStatus.FAIL
    assert check.reasons[0] == "The promotional price must be greater than zero."
    assert check.real_discount_percent is None


def test_fallback_reference_is_a_warning_with_reason():
    it = item("80.00")
    _history(it, (10, "100.00"))

    check = _check(it)

    assert (check.status, check.reference.source) == (CheckStatus.WARNING, ReferenceSource.FALLBACK)
    assert check.reasons == [
        "No price was recorded in the 7 days before the start; the last earlier price ¥100.00 is used."
    ]


def test_no_history_is_a_warning():
    it = item("80.00")

    check = _check(it)

    assert (check.status, check.reference.source) == (CheckStatus.WARNING, ReferenceSource.NONE)
    assert check.reasons == ["No price was recorded before the promotion starts, so the discount cannot be checked."]


@pytest.mark.parametrize(
    ("reference", "promo", "expected"),
    [
        ("3.00", "2.00", "33.33"),
        ("3.00", "1.00", "66.67"),
        ("8.00", "7.99", "0.13"),  # 0.125: half-up, not banker's rounding (0.12)
        ("100.00", "80.00", "20.00"),
    ],
)
def test_real_discount_rounds_half_up_to_a_hundredth_of_a_percent(reference, promo, expected):
    assert pricing.real_discount_percent(Decimal(reference), Decimal(promo)) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.675", "2.68"), ("0.005", "0.01"), ("0.004", "0.00"), ("10", "10.00"), (3, "3.00"), ("-1.005", "-1.01")],
)
def test_money_rounds_half_up_to_the_fen(value, expected):
    assert pricing.to_fen(value) == Decimal(expected)


@pytest.mark.parametrize("value", [2.675, "abc", "NaN", "Infinity", None, True])
def test_money_refuses_floats_and_non_numbers(value):
    with pytest.raises(pricing.PricingError):
        pricing.to_fen(value)


@pytest.mark.parametrize("value", ["0", "0.004", "-0.01", "-100"])
def test_positive_money_refuses_zero_and_negative(value):
    with pytest.raises(pricing.PricingError, match="greater than zero"):
        pricing.positive_fen(value)


@pytest.mark.parametrize(("reference", "promo"), [("0", "1.00"), ("100.00", "0"), ("-1", "1")])
def test_real_discount_refuses_zero_and_negative(reference, promo):
    with pytest.raises(pricing.PricingError):
        pricing.real_discount_percent(Decimal(reference), Decimal(promo))


# What the promotion really gives (the declared-price rule: test_pricing_declared.py) ------


@pytest.mark.parametrize(
    ("fields", "before", "paid"),
    [
        ({"percent_off": Decimal("20")}, "100.00", "80.00"),
        ({"percent_off": Decimal("1")}, "100.00", "99.00"),
        ({"percent_off": Decimal("15")}, "33.33", "28.33"),  # 28.3305 → 28.33
        ({"kind": PromotionKind.AMOUNT_OFF, "percent_off": None, "amount_off": Decimal("10")}, "2841.00", "2831.00"),
        ({"kind": PromotionKind.AMOUNT_OFF, "percent_off": None, "amount_off": Decimal("50")}, "20.00", "0.01"),
    ],
)
def test_price_the_promotion_gives(fields, before, paid):
    it = item("1.00", **fields)

    assert pricing.price_the_promotion_gives(it, Decimal(before)) == Decimal(paid)


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": PromotionKind.FLASH_SALE, "percent_off": None, "flash_quantity": 10},
        {"kind": PromotionKind.COUPON, "percent_off": None, "coupon_value": Decimal("5"), "coupon_quantity": 1},
    ],
)
def test_price_the_promotion_gives_nothing_for_item_priced_and_basket_kinds(fields):
    assert pricing.price_the_promotion_gives(item("1.00", **fields), Decimal("100.00")) is None


def test_price_histories_carry_the_last_price_before_the_start():
    it = item()
    _history(it, (5, "100.00"), (1, "102.00"))
    price(it.product, "90.00", START)  # at the start: not before it

    history = pricing.price_histories_for_items(PromotionItem.objects.filter(pk=it.pk))[it.pk]

    assert history.price_at_start == Decimal("102.00")
    assert pricing.last_price_before(it.product_id, START) == Decimal("102.00")


# Raise-then-cut ----------------------------------------------------------------------


def test_price_raised_before_the_window_then_cut_is_flagged():
    it = item("120.00")  # "20 % off 150"
    _history(it, (40, "100.00"), (12, "150.00"), (5, "150.00"), (2, "150.00"))

    check = _check(it)

    assert check.raised and check.earlier_level == Decimal("100.00")
    assert check.status == CheckStatus.WARNING  # the discount rule itself passes
    assert check.reasons == [
        "Possible raise-then-cut: the reference price ¥150.00 is 50.00% above the earlier level ¥100.00 "
        "in the 30 days before the start (tolerance 5%)."
    ]


def test_gradual_raise_is_measured_from_the_lowest_earlier_price():
    it = item("100.00")
    _history(it, (25, "100.00"), (20, "103.00"), (15, "106.00"), (10, "109.00"), (5, "125.00"))

    assert _check(it).raised


def test_raise_within_tolerance_is_not_flagged():
    it = item("90.00", kind=PromotionKind.FLASH_SALE, percent_off=None, flash_quantity=10)
    _history(it, (20, "100.00"), (5, "105.00"))  # exactly the 5 % tolerance: not more than it

    check = _check(it)

    assert not check.raised
    assert check.status == CheckStatus.PASS


def test_raise_inside_the_lookback_window_does_not_inflate_the_reference():
    it = item("90.00", kind=PromotionKind.FLASH_SALE, percent_off=None, flash_quantity=10)
    _history(it, (20, "100.00"), (6, "100.00"), (2, "150.00"))

    check = _check(it)

    assert (check.reference.price, check.raised, check.status) == (Decimal("100.00"), False, CheckStatus.PASS)


def test_price_in_effect_when_the_raise_window_opened_counts_as_earlier_level():
    it = item("120.00")
    _history(it, (45, "100.00"), (20, "150.00"))  # 100 still in effect 30 days before

    check = _check(it)

    assert check.reference == pricing.Reference(Decimal("150.00"), ReferenceSource.FALLBACK)
    assert check.raised and check.earlier_level == Decimal("100.00")


def test_raise_window_and_tolerance_are_festival_settings():
    it = item("120.00", fest=festival(raise_lookback_days=10, raise_tolerance_percent=Decimal("60")))
    _history(it, (40, "100.00"), (12, "150.00"), (2, "150.00"))

    check = _check(it)

    assert check.earlier_level == Decimal("150.00")  # the 100 is older than 10 days before
    assert not check.raised


def test_single_item_and_bulk_paths_agree_on_raise():
    it = item("120.00")
    _history(it, (40, "100.00"), (12, "150.00"), (2, "150.00"))

    single, bulk = pricing.check_item(it), _check(it)

    assert (single.earlier_level, single.raised, single.reasons) == (bulk.earlier_level, bulk.raised, bulk.reasons)


# Overlap -----------------------------------------------------------------------------


def _other(it, *, kind=PromotionKind.AMOUNT_OFF, status="approved", starts_at=None, days=3, product=None, **fields):
    promotion = it.promotion
    extra = {"percent_off": None, "amount_off": Decimal("5.00")} if kind == PromotionKind.AMOUNT_OFF else {}
    if kind == PromotionKind.COUPON:
        extra = {"percent_off": None, "coupon_value": Decimal("10.00"), "coupon_quantity": 100}
    if kind == PromotionKind.THRESHOLD:
        extra = {"percent_off": None, "threshold_amount": Decimal("200"), "amount_off": Decimal("30")}
    starts_at = starts_at or promotion.starts_at + timedelta(days=1)
    other = PromotionFactory(
        festival=promotion.festival,
        merchant=promotion.merchant,
        kind=kind,
        status=status,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=days),
        title="Other",
        **{**extra, **fields},
    )
    PromotionItemFactory(promotion=other, product=product or it.product, promo_price=Decimal("85.00"))
    return other


def test_overlapping_approved_promotion_on_same_product_is_flagged():
    it = item("80.00")
    _history(it, (3, "100.00"))
    other = _other(it)

    check = _check(it)

    assert check.status == CheckStatus.WARNING
    assert [o.promotion_id for o in check.overlaps] == [other.pk]
    assert check.reasons == [
        "Overlaps “Other” (Amount off, 2030-05-02 00:00 to 2030-05-05 00:00), which covers the same product."
    ]


@pytest.mark.parametrize("status", ["live", "approved"])
def test_live_and_approved_promotions_count(status):
    it = item("80.00")
    _history(it, (3, "100.00"))
    _other(it, status=status)

    assert _check(it).overlaps


@pytest.mark.parametrize("status", ["draft", "submitted", "changes_requested", "withdrawn", "cancelled", "ended"])
def test_promotions_not_approved_or_live_do_not_count(status):
    it = item("80.00")
    _history(it, (3, "100.00"))
    _other(it, status=status)

    assert _check(it).overlaps == []


def test_promotion_ending_exactly_when_this_one_starts_does_not_overlap():
    it = item("80.00")
    _history(it, (3, "100.00"))
    _other(it, starts_at=START - timedelta(days=1), days=1)

    assert _check(it).overlaps == []


def test_other_product_or_other_merchant_does_not_overlap():
    it = item("80.00")
    _history(it, (3, "100.00"))
    _other(it, product=PromotionItemFactory(promotion=it.promotion).product)
    stranger = item("80.00", fest=it.promotion.festival, status="approved")  # same time, other merchant

    assert _check(it).overlaps == []
    assert _check(stranger).overlaps == []


def test_kinds_that_both_stack_are_not_flagged():
    it = item("80.00", kind=PromotionKind.COUPON, percent_off=None, coupon_value=Decimal("5"), coupon_quantity=10)
    _history(it, (3, "100.00"))
    _other(it, kind=PromotionKind.THRESHOLD)  # threshold and coupon stack by default

    assert _check(it).overlaps == []


def test_one_stackable_kind_is_not_enough():
    it = item("80.00")  # percent off does not stack
    _history(it, (3, "100.00"))
    _other(it, kind=PromotionKind.COUPON)

    assert len(_check(it).overlaps) == 1


def test_stackable_kinds_are_a_festival_setting():
    it = item("80.00", fest=festival(stackable_kinds=["percent_off", "amount_off"]))
    _history(it, (3, "100.00"))
    _other(it, kind=PromotionKind.AMOUNT_OFF)

    assert _check(it).overlaps == []
