"""Promotion validation: inside the festival window, and exactly the fields of its kind."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from promotions import services
from promotions.models import (
    KIND_FIELDS,
    KIND_REQUIRED_FIELDS,
    Promotion,
    PromotionItem,
    PromotionKind,
    fields_for_kind,
)
from tests.factories import FestivalFactory, ParticipationFactory, ProductFactory, PromotionFactory

pytestmark = pytest.mark.django_db

K = PromotionKind


def kind_values(promotion):
    """Sensible values for every field a kind uses."""
    return {
        "percent_off": Decimal("20"),
        "amount_off": Decimal("30"),
        "threshold_amount": Decimal("200"),
        "coupon_value": Decimal("20"),
        "coupon_quantity": 1000,
        "flash_quantity": 100,
        "stream_host": "Host",
        "stream_url": "https://live.example.cn/1",
        "stream_starts_at": promotion.starts_at + timedelta(hours=1),
    }


def promotion_of(kind, **fields):
    promotion = PromotionFactory.build(festival=FestivalFactory(), kind=kind, percent_off=None)
    values = kind_values(promotion)
    for name in fields_for_kind(kind):
        setattr(promotion, name, values[name])
    for name, value in fields.items():
        setattr(promotion, name, value)
    return promotion


def errors_of(promotion):
    with pytest.raises(ValidationError) as excinfo:
        promotion.clean()
    return excinfo.value.message_dict


def kind_fields(promotion):
    return {name: getattr(promotion, name) for name in KIND_FIELDS}


def needs(kind):
    return f"A “{K(kind).label}” promotion needs this field."


def does_not_use(kind):
    return f"A “{K(kind).label}” promotion does not use this field; leave it empty."


@pytest.mark.parametrize("kind", K.values)
def test_each_kind_with_its_fields_is_valid(kind):
    promotion = promotion_of(kind)
    fields = kind_fields(promotion)
    window = (promotion.starts_at, promotion.ends_at)

    assert promotion.clean() is None
    # clean() only checks: the values it was given are the values it leaves.
    assert kind_fields(promotion) == fields
    assert (promotion.starts_at, promotion.ends_at) == window
    assert {name for name, value in fields.items() if value not in (None, "")} == set(fields_for_kind(kind))


@pytest.mark.parametrize("kind", K.values)
def test_each_kind_without_its_fields_names_every_missing_one(kind):
    promotion = promotion_of(kind)
    for name in KIND_FIELDS:
        setattr(promotion, name, None)

    assert errors_of(promotion) == {field: [needs(kind)] for field in KIND_REQUIRED_FIELDS[kind]}


def test_every_kind_has_required_fields():
    assert set(KIND_REQUIRED_FIELDS) == set(K.values)
    assert all(KIND_REQUIRED_FIELDS[kind] for kind in K.values)


@pytest.mark.parametrize("kind, field", [(kind, field) for kind in K.values for field in KIND_REQUIRED_FIELDS[kind]])
def test_a_missing_kind_field_is_an_error_on_that_field(kind, field):
    promotion = promotion_of(kind, **{field: "" if field in ("stream_host", "stream_url") else None})

    assert errors_of(promotion) == {field: [needs(kind)]}


@pytest.mark.parametrize(
    "kind, field", [(kind, field) for kind in K.values for field in KIND_FIELDS if field not in fields_for_kind(kind)]
)
def test_a_field_of_another_kind_is_an_error(kind, field):
    promotion = promotion_of(kind)
    setattr(promotion, field, kind_values(promotion)[field])

    assert errors_of(promotion) == {field: [does_not_use(kind)]}


@pytest.mark.parametrize("threshold", [None, Decimal("20.01")], ids=["no threshold", "just above the coupon"])
def test_coupon_threshold_is_optional(threshold):
    promotion = promotion_of(K.COUPON, threshold_amount=threshold, coupon_value=Decimal("20"))

    assert promotion.clean() is None
    assert (promotion.threshold_amount, promotion.coupon_value) == (threshold, Decimal("20"))


def test_threshold_discount_must_be_below_the_threshold():
    promotion = promotion_of(K.THRESHOLD, threshold_amount=Decimal("100"), amount_off=Decimal("100"))
    just_below = promotion_of(K.THRESHOLD, threshold_amount=Decimal("100"), amount_off=Decimal("99.99"))

    assert errors_of(promotion) == {"amount_off": ["The amount off must be less than the spend threshold."]}
    assert just_below.clean() is None


def test_coupon_value_must_be_below_its_threshold():
    promotion = promotion_of(K.COUPON, threshold_amount=Decimal("20"), coupon_value=Decimal("20"))

    assert errors_of(promotion) == {"coupon_value": ["The coupon's face value must be less than its spend threshold."]}


@pytest.mark.parametrize(
    "at",
    [
        lambda p: p.starts_at - timedelta(hours=1),
        lambda p: p.starts_at - timedelta(seconds=1),
        lambda p: p.ends_at,  # the promotion is over by then
        lambda p: p.ends_at + timedelta(days=5),
    ],
    ids=["an hour early", "a second early", "at the end", "days late"],
)
def test_livestream_must_start_while_the_promotion_runs(at):
    promotion = promotion_of(K.LIVESTREAM)
    promotion.stream_starts_at = at(promotion)

    assert errors_of(promotion) == {"stream_starts_at": ["The livestream must start while the promotion runs."]}


@pytest.mark.parametrize(
    "at",
    [lambda p: p.starts_at, lambda p: p.ends_at - timedelta(seconds=1)],
    ids=["at the start", "a second before the end"],
)
def test_livestream_may_start_at_any_moment_the_promotion_runs(at):
    promotion = promotion_of(K.LIVESTREAM)
    promotion.stream_starts_at = at(promotion)

    assert promotion.clean() is None
    assert promotion.stream_starts_at == at(promotion)


def test_promotion_may_fill_the_whole_festival_window():
    promotion = promotion_of(K.PERCENT_OFF)
    festival = promotion.festival
    promotion.starts_at, promotion.ends_at = festival.starts_at, festival.ends_at

    assert promotion.clean() is None
    assert (promotion.starts_at, promotion.ends_at) == (festival.starts_at, festival.ends_at)


@pytest.mark.parametrize(
    "starts, ends",
    [
        (timedelta(seconds=-1), timedelta(0)),  # starts a second before the festival
        (timedelta(0), timedelta(seconds=1)),  # ends a second after it
        (timedelta(days=-3), timedelta(days=-2)),  # entirely before
    ],
)
def test_promotion_must_run_inside_the_festival_window(starts, ends):
    promotion = promotion_of(K.PERCENT_OFF)
    festival = promotion.festival
    promotion.starts_at = festival.starts_at + starts
    promotion.ends_at = festival.ends_at + ends

    errors = errors_of(promotion)

    assert set(errors) == {"starts_at"}
    assert errors["starts_at"] == [
        "A promotion must run inside the festival window ("
        f"{festival.local(festival.starts_at):%Y-%m-%d %H:%M} to {festival.local(festival.ends_at):%Y-%m-%d %H:%M}, "
        f"{festival.time_zone})."
    ]


def test_promotion_must_end_after_it_starts():
    promotion = promotion_of(K.PERCENT_OFF)
    promotion.ends_at = promotion.starts_at

    assert errors_of(promotion) == {"ends_at": ["A promotion must end after it starts."]}


def test_every_error_is_reported_at_once():
    promotion = promotion_of(K.COUPON, coupon_quantity=None, percent_off=Decimal("5"))
    promotion.starts_at = promotion.festival.starts_at - timedelta(days=3)
    promotion.ends_at = promotion.festival.starts_at - timedelta(days=2)

    errors = errors_of(promotion)

    assert set(errors) == {"starts_at", "coupon_quantity", "percent_off"}
    assert errors["coupon_quantity"] == [needs(K.COUPON)]
    assert errors["percent_off"] == [does_not_use(K.COUPON)]


def test_create_promotion_refuses_invalid_input_and_saves_nothing():
    participation = ParticipationFactory()
    festival = participation.festival

    with pytest.raises(ValidationError):
        services.create_promotion(
            merchant=participation.merchant,
            festival=festival,
            title="Too early",
            kind=K.PERCENT_OFF,
            percent_off=Decimal("20"),
            starts_at=festival.starts_at - timedelta(days=1),
            ends_at=festival.starts_at + timedelta(days=1),
        )

    assert not Promotion.objects.exists()


def test_create_promotion_refuses_another_merchants_product():
    participation = ParticipationFactory()
    festival = participation.festival

    with pytest.raises(ValidationError) as excinfo:
        services.create_promotion(
            merchant=participation.merchant,
            festival=festival,
            title="Borrowed goods",
            kind=K.PERCENT_OFF,
            percent_off=Decimal("20"),
            starts_at=festival.starts_at,
            ends_at=festival.ends_at,
            items=[{"product": ProductFactory(), "promo_price": Decimal("10")}],
        )

    assert "items" in excinfo.value.message_dict
    assert not Promotion.objects.exists()


def test_changing_the_kind_clears_the_old_kinds_fields():
    promotion = PromotionFactory(percent_off=Decimal("20"))

    services.update_promotion(promotion, kind=K.FLASH_SALE, flash_quantity=50)

    promotion.refresh_from_db()
    assert (promotion.kind, promotion.percent_off, promotion.flash_quantity) == (K.FLASH_SALE, None, 50)


# Database constraints ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"ends_at": "starts_at"},
        {"percent_off": Decimal("100")},
        {"percent_off": Decimal("0")},
        {"kind": K.AMOUNT_OFF, "percent_off": None, "amount_off": None},
        {"kind": K.AMOUNT_OFF, "percent_off": None, "amount_off": Decimal("-5")},
        {"kind": K.THRESHOLD, "percent_off": None, "threshold_amount": Decimal("100"), "amount_off": Decimal("100")},
        {"kind": K.COUPON, "percent_off": None, "coupon_value": Decimal("10")},
        {"kind": K.COUPON, "percent_off": None, "coupon_value": Decimal("0"), "coupon_quantity": 5},
        {"kind": K.FLASH_SALE, "percent_off": None},
    ],
)
def test_db_promotion_constraints(fields):
    promotion = PromotionFactory.build(festival=FestivalFactory(), merchant=ParticipationFactory().merchant)
    for name, value in fields.items():
        setattr(promotion, name, getattr(promotion, value) if value == "starts_at" else value)

    with pytest.raises(IntegrityError), transaction.atomic():
        promotion.save()


@pytest.mark.parametrize("price", [Decimal("0"), Decimal("-1")])
def test_db_promotion_item_price_positive(price):
    promotion = PromotionFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        PromotionItem.objects.create(
            promotion=promotion, product=ProductFactory(merchant=promotion.merchant), promo_price=price
        )


def test_db_product_once_per_promotion():
    promotion = PromotionFactory()
    product = ProductFactory(merchant=promotion.merchant)
    PromotionItem.objects.create(promotion=promotion, product=product, promo_price=Decimal("1"))

    with pytest.raises(IntegrityError), transaction.atomic():
        PromotionItem.objects.create(promotion=promotion, product=product, promo_price=Decimal("2"))
