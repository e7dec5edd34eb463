"""The declared promotional price against what a percent-off or amount-off promotion's terms give.

The declared price is the merchant's commitment for the item: lower than the terms give is
a deeper discount, allowed and explained (a note; the check stays a pass), and the final
price, the badge and the API all use it; higher is a warning (consumers pay less than
advertised)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from api.serializers.promotions import promotion_representation
from festival.roles import REVIEWER
from promotions import pricing, services
from promotions.models import CheckStatus, PromotionItem, PromotionKind, PromotionStatus
from tests.admin_support import client_for, staff_user
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
    return [reason for reason in check.reasons if reason.startswith(("The promotion advertises", "A deeper discount"))]


def _deeper(offer, before, given, promo):
    return (
        f"A deeper discount than the terms give: {offer} the price before it starts (¥{before}) is ¥{given}, "
        f"and the item's own price is ¥{promo}. Allowed: the item sells for ¥{promo}, and its discount is "
        "measured on that price."
    )


# Declared lower than the terms give: a deeper discount, allowed and explained --------------


def test_amount_off_declared_deeper_than_the_terms_passes_with_a_note():
    # "¥10 off" declared as ¥2,102.30 on a ¥2,841.00 product: the item sells for ¥2,102.30.
    it = item("2102.30", amount_off=Decimal("10"), **AMOUNT_OFF)
    _history(it, (3, "2841.00"))

    check = _check(it)

    assert check.status == CheckStatus.PASS
    assert check.reasons == [_deeper("¥10.00 off", "2841.00", "2831.00", "2102.30")]
    assert check.real_discount_percent == Decimal("26.00")  # measured on the declared price


def test_percent_off_declared_deeper_than_the_terms_passes_with_a_note():
    it = item("70.00", percent_off=Decimal("20"))
    _history(it, (3, "100.00"))

    check = _check(it)

    assert check.status == CheckStatus.PASS
    assert check.reasons == [_deeper("20% off", "100.00", "80.00", "70.00")]
    assert check.real_discount_percent == Decimal("30.00")


def test_the_price_just_before_the_start_counts_not_the_reference():
    # Raised the day before: the reference stays ¥100, 20 % off ¥120 is ¥96; the declared ¥80 is deeper.
    it = item("80.00", percent_off=Decimal("20"))
    _history(it, (5, "100.00"), (1, "120.00"))

    check = _check(it)

    assert check.reference.price == Decimal("100.00")
    assert check.status == CheckStatus.PASS
    assert _declared_reasons(check) == [_deeper("20% off", "120.00", "96.00", "80.00")]
    assert check.real_discount_percent == Decimal("20.00")  # against the reference, as for any item


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
        ("28.31", CheckStatus.PASS),  # two fen lower: a deeper discount, explained in a note
        ("28.35", CheckStatus.WARNING),  # two fen higher
    ],
)
def test_the_comparison_is_to_the_fen_with_one_fen_of_tolerance(declared, status):
    it = item(declared, percent_off=Decimal("15"))
    _history(it, (3, "33.33"))

    assert _check(it).status == status


def test_one_fen_less_than_the_terms_is_tolerated_two_are_explained():
    ok = pricing.declared_price_reasons(item("89.99", **AMOUNT_OFF, amount_off=Decimal("10")), Decimal("89.99"), "100")
    off = pricing.declared_price_reasons(item("89.98", **AMOUNT_OFF, amount_off=Decimal("10")), Decimal("89.98"), "100")

    assert (ok.warnings, ok.notes) == ([], [])
    assert off.warnings == [] and off.notes == [_deeper("¥10.00 off", "100.00", "90.00", "89.98")]


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
    assert single.status == CheckStatus.PASS and len(single.reasons) == 1


# End to end: submitted, stored, reviewed, sold at the declared price ---------------------------

DEEPER_NOTE = _deeper("20% off", "100.00", "80.00", "70.00")


def _submitted_deeper_item():
    it = item("70.00", percent_off=Decimal("20"))
    _history(it, (3, "100.00"))
    services.submit_promotion(it.promotion, now=START - timedelta(days=10))
    it.refresh_from_db()
    return it


def test_a_deeper_price_is_submitted_and_its_stored_check_explains_it():
    it = _submitted_deeper_item()

    assert it.promotion.status == PromotionStatus.SUBMITTED
    assert (it.check_status, it.check_reasons) == (CheckStatus.PASS, [DEEPER_NOTE])
    assert (it.reference_price, it.real_discount_percent) == (Decimal("100.00"), Decimal("30.00"))
    assert services.why_not_all_pass(it.promotion) == ""  # a note does not hold the review up


def test_approve_all_that_pass_approves_a_deeper_price():
    it = _submitted_deeper_item()

    approved, skipped = services.approve_promotions_that_pass([it.promotion], by=staff_user(REVIEWER))

    assert [p.pk for p in approved] == [it.promotion.pk] and skipped == []


def test_the_final_price_badge_and_api_all_sell_at_the_deeper_price():
    it = _submitted_deeper_item()
    services.approve_promotion(it.promotion, by=staff_user(REVIEWER), now=START - timedelta(days=5))

    final = pricing.final_price(it.product, at=START + timedelta(days=1))
    badge = pricing.honest_price_badge(it)
    data = promotion_representation(it.promotion)

    assert (final.undiscounted, final.final) == (Decimal("100.00"), Decimal("70.00"))
    assert final.discount_percent == Decimal("30.00")  # the real discount: the item's own price
    assert final.steps[0].note == "The item's own promotional price ¥70.00 is lower than the terms give (¥80.00)."
    assert (badge.price, badge.discount_percent) == (Decimal("70.00"), Decimal("30.00"))
    assert badge.text == "7-day low ¥100.00 → now ¥70.00 · 30% off"
    assert data["items"][0] | {"product": None, "sku": None} == {
        "product": None,
        "sku": None,
        "promo_price": "70.00",
        "reference_price": "100.00",
        "reference_source": "lookback",
        "real_discount_percent": "30.00",
        "check_status": "pass",
        "check_reasons": [DEEPER_NOTE],
    }


def test_the_public_page_and_the_reviewer_show_one_price(client):
    it = _submitted_deeper_item()
    reviewer = staff_user(REVIEWER)
    admin_page = client_for(reviewer).get(reverse("admin:promotions_promotion_change", args=[it.promotion.pk]))
    services.approve_promotion(it.promotion, by=reviewer, now=START - timedelta(days=5))
    cache.clear()  # the public page cache

    page = client.get(reverse("public:promotion", args=[it.promotion.pk])).content.decode()

    assert escape(DEEPER_NOTE) in admin_page.content.decode()
    assert "Final price: ¥70.00" in page
    assert "¥100.00 → <strong>¥70.00</strong>" in page
    assert "Final price: ¥80.00" not in page


# Declared higher: consumers pay the terms, as before ---------------------------------------------


def test_a_higher_declared_price_sells_at_the_terms():
    it = item("90.00", percent_off=Decimal("20"), status=PromotionStatus.APPROVED)
    _history(it, (3, "100.00"))

    assert pricing.final_price(it.product, at=START + timedelta(days=1)).final == Decimal("80.00")


# The portal -------------------------------------------------------------------------------------


def test_the_portal_preview_and_submission_explain_a_deeper_price(client):
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
    note = _deeper("¥10.00 off", "2841.00", "2831.00", "2102.30")

    preview = client.get(reverse("merchant:promotion_preview", args=[promotion.pk]))
    submitted = client.post(reverse("merchant:promotion_submit", args=[promotion.pk]), follow=True)

    assert preview.context["can_submit"] is True
    assert escape(note) in preview.content.decode()
    assert submitted.redirect_chain[-1][0] == reverse("merchant:promotion_detail", args=[promotion.pk])
    assert escape(note) in submitted.content.decode()  # the detail page shows the stored check
    promotion.refresh_from_db()
    assert promotion.status == PromotionStatus.SUBMITTED


def test_the_note_is_translated():
    it = item("70.00", percent_off=Decimal("20"))
    _history(it, (3, "100.00"))

    with translation.override("zh-hans"):
        check = _check(it)
        step = pricing.compute_final_price(Decimal("100.00"), [pricing.Offer.for_item(it)]).steps[0]

    assert check.reasons == [
        "优惠力度超过条款：活动开始前的价格 ¥100.00 减 20% 后为 ¥80.00，而该商品自己的活动价为 ¥70.00。"
        "允许：该商品按 ¥70.00 出售，折扣按此价格计算。"
    ]
    assert step.note == "该商品自己的活动价 ¥70.00 低于按条款计算的价格（¥80.00）。"
