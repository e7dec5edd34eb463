"""The declared promotional price against what a percent-off or amount-off promotion really gives."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from promotions import pricing, services
from promotions.models import CheckStatus, PromotionItem, PromotionKind, PromotionStatus
from tests.factories import ParticipationFactory, ProductFactory, PromotionFactory, PromotionItemFactory
from tests.portal import sign_in
from tests.promotions.pricing_helpers import START, days_before, festival, item, price

pytestmark = pytest.mark.django_db

AMOUNT_OFF = {"kind": PromotionKind.AMOUNT_OFF, "percent_off": None}


def _history(it, *prices):
    for days, amount in prices:
        price(it.product, amount, days_before(days))


def _check(it):
    return pricing.check_items(PromotionItem.objects.filter(pk=it.pk))[0]


def _declared_reasons(check):
    return [reason for reason in check.reasons if reason.startswith("The promotion advertises")]


# Declared lower than what consumers pay: fail -------------------------------------------


def test_amount_off_advertising_less_than_consumers_pay_fails():
    # The demo's old inconsistency: "¥10 off" declared as ¥2,102.30 on a ¥2,841.00 product.
    it = item("2102.30", amount_off=Decimal("10"), **AMOUNT_OFF)
    _history(it, (3, "2841.00"))

    check = _check(it)

    assert check.status == CheckStatus.FAIL
    assert check.reasons == [
        "The promotion advertises ¥2102.30, but ¥10.00 off the price before it starts (¥2841.00) is ¥2831.00: "
        "declare ¥2831.00."
    ]
    assert check.real_discount_percent == Decimal("26.00")  # what the badge would have claimed


def test_percent_off_advertising_less_than_consumers_pay_fails():
    it = item("70.00", percent_off=Decimal("20"))
    _history(it, (3, "100.00"))

    check = _check(it)

    assert check.status == CheckStatus.FAIL
    assert check.reasons == [
        "The promotion advertises ¥70.00, but 20% off the price before it starts (¥100.00) is ¥80.00: declare ¥80.00."
    ]


def test_the_price_just_before_the_start_counts_not_the_reference():
    # Raised the day before: the reference stays ¥100, but 20 % off ¥120 is ¥96, not the declared ¥80.
    it = item("80.00", percent_off=Decimal("20"))
    _history(it, (5, "100.00"), (1, "120.00"))

    check = _check(it)

    assert check.reference.price == Decimal("100.00")
    assert check.status == CheckStatus.FAIL
    assert _declared_reasons(check) == [
        "The promotion advertises ¥80.00, but 20% off the price before it starts (¥120.00) is ¥96.00: declare ¥96.00."
    ]


def test_a_price_recorded_at_the_start_is_not_the_price_before_it():
    it = item("80.00", percent_off=Decimal("20"))
    _history(it, (3, "100.00"))
    price(it.product, "200.00", START)

    assert _check(it).status == CheckStatus.PASS


# Declared higher than what consumers pay: warning -----------------------------------------


def test_percent_off_advertising_more_than_consumers_pay_is_a_warning():
    it = item("90.00", percent_off=Decimal("20"))
    _history(it, (3, "100.00"))

    check = _check(it)

    assert check.status == CheckStatus.WARNING
    assert check.reasons == [
        "The promotion advertises ¥90.00, but 20% off the price before it starts (¥100.00) is ¥80.00: consumers pay "
        "less than advertised, so the advertised discount understates the real one; declare ¥80.00."
    ]


def test_amount_off_advertising_more_than_consumers_pay_is_a_warning():
    it = item("95.00", amount_off=Decimal("10.50"), **AMOUNT_OFF)
    _history(it, (3, "100.00"))

    check = _check(it)

    assert check.status == CheckStatus.WARNING
    assert _declared_reasons(check) == [
        "The promotion advertises ¥95.00, but ¥10.50 off the price before it starts (¥100.00) is ¥89.50: consumers "
        "pay less than advertised, so the advertised discount understates the real one; declare ¥89.50."
    ]


def test_a_declared_price_too_high_that_also_misses_the_minimum_fails_with_both_reasons():
    it = item("99.00", percent_off=Decimal("20"))
    _history(it, (3, "100.00"))

    check = _check(it)

    assert check.status == CheckStatus.FAIL
    assert check.reasons[0].startswith("¥99.00 is only 1.00% below")  # failures first
    assert _declared_reasons(check) == [check.reasons[1]]


# Exact match and rounding to the fen --------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "declared"),
    [
        ({"percent_off": Decimal("20")}, "80.00"),
        ({"amount_off": Decimal("10"), **AMOUNT_OFF}, "90.00"),
    ],
)
def test_declaring_exactly_what_the_promotion_gives_passes(fields, declared):
    it = item(declared, **fields)
    _history(it, (3, "100.00"))

    check = _check(it)

    assert (check.status, check.reasons) == (CheckStatus.PASS, [])


@pytest.mark.parametrize(
    ("declared", "status"),
    [
        ("28.33", CheckStatus.PASS),  # 15 % off ¥33.33 = ¥28.3305, half-up to ¥28.33
        ("28.32", CheckStatus.PASS),  # a fen lower (rounded down): tolerated
        ("28.34", CheckStatus.PASS),  # a fen higher: tolerated
        ("28.31", CheckStatus.FAIL),  # two fen lower than consumers pay
        ("28.35", CheckStatus.WARNING),  # two fen higher
    ],
)
def test_the_comparison_is_to_the_fen_with_one_fen_of_tolerance(declared, status):
    it = item(declared, percent_off=Decimal("15"))
    _history(it, (3, "33.33"))

    assert _check(it).status == status


def test_one_fen_less_than_what_consumers_pay_is_tolerated_not_two():
    ok = pricing.declared_price_reasons(item("89.99", **AMOUNT_OFF, amount_off=Decimal("10")), Decimal("89.99"), "100")
    off = pricing.declared_price_reasons(item("89.98", **AMOUNT_OFF, amount_off=Decimal("10")), Decimal("89.98"), "100")

    assert (ok.failures, ok.warnings) == ([], [])
    assert len(off.failures) == 1 and off.warnings == []


# Nothing to compare ------------------------------------------------------------------------


def test_no_history_means_nothing_to_compare():
    it = item("10.00", percent_off=Decimal("20"))

    check = _check(it)

    assert check.status == CheckStatus.WARNING
    assert check.reasons == ["No price was recorded before the promotion starts, so the discount cannot be checked."]


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": PromotionKind.FLASH_SALE, "percent_off": None, "flash_quantity": 10},
        {"kind": PromotionKind.LIVESTREAM, "percent_off": None},
        {"kind": PromotionKind.THRESHOLD, "percent_off": None, "threshold_amount": Decimal("200"), "amount_off": 30},
        {"kind": PromotionKind.COUPON, "percent_off": None, "coupon_value": Decimal("5"), "coupon_quantity": 1},
    ],
)
def test_other_kinds_are_not_compared(fields):
    it = item("70.00", **fields)  # would fail as a 20 % off (¥80.00)
    _history(it, (3, "100.00"))

    check = _check(it)

    assert (check.status, check.reasons) == (CheckStatus.PASS, [])


# Every path uses the rule ---------------------------------------------------------------------


def test_check_item_and_the_bulk_path_agree():
    it = item("2102.30", amount_off=Decimal("10"), **AMOUNT_OFF)
    _history(it, (3, "2841.00"))

    single, bulk = pricing.check_item(it), _check(it)

    assert (single.status, single.reasons) == (bulk.status, bulk.reasons)
    assert single.status == CheckStatus.FAIL


def test_submission_is_refused_with_the_reason():
    it = item("70.00", percent_off=Decimal("20"))
    _history(it, (3, "100.00"))

    with pytest.raises(services.SubmissionRefused) as refused:
        services.submit_promotion(it.promotion, now=START - timedelta(days=10))

    assert refused.value.details == {
        it.product.sku: [
            "The promotion advertises ¥70.00, but 20% off the price before it starts (¥100.00) is ¥80.00: "
            "declare ¥80.00."
        ]
    }
    it.promotion.refresh_from_db()
    assert it.promotion.status == PromotionStatus.DRAFT


def test_the_portal_preview_and_submission_show_the_reason(client):
    shop = sign_in(client)
    fest = festival()
    ParticipationFactory(merchant=shop.merchant, festival=fest)
    product = ProductFactory(merchant=shop.merchant, sku="TEA-1")
    price(product, "2841.00", days_before(3))
    promotion = PromotionFactory(
        merchant=shop.merchant,
        festival=fest,
        starts_at=START,
        ends_at=START + timedelta(days=3),
        **AMOUNT_OFF,
        amount_off=Decimal("10"),
    )
    PromotionItemFactory(promotion=promotion, product=product, promo_price=Decimal("2102.30"))
    reason = "The promotion advertises ¥2102.30, but ¥10.00 off the price before it starts (¥2841.00) is ¥2831.00"

    preview = client.get(reverse("merchant:promotion_preview", args=[promotion.pk]))
    submitted = client.post(reverse("merchant:promotion_submit", args=[promotion.pk]))

    assert preview.context["can_submit"] is False
    assert reason in preview.content.decode()
    assert submitted.status_code == 400
    assert reason in submitted.content.decode()
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.DRAFT


def test_the_reason_is_translated():
    it = item("70.00", percent_off=Decimal("20"))
    _history(it, (3, "100.00"))

    with translation.override("zh-hans"):
        check = _check(it)

    assert check.reasons == ["活动宣传价为 ¥70.00，但活动开始前的价格 ¥100.00 减 20% 后为 ¥80.00：请申报 ¥80.00。"]
