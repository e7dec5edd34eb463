"""Sub-festivals: one level deep, a window inside the edition's, honesty rules stricter, never looser."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import FestivalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition():
    return FestivalFactory(name="Edition", price_lookback_days=7, min_discount_percent=Decimal("5"))


def _sub(edition, **fields):
    return FestivalFactory.build(
        name="Sub",
        slug="sub",
        parent=edition,
        registration_opens_at=edition.registration_opens_at,
        registration_closes_at=edition.registration_closes_at,
        submission_deadline=edition.submission_deadline,
        starts_at=fields.pop("starts_at", edition.starts_at),
        ends_at=fields.pop("ends_at", edition.ends_at),
        price_lookback_days=fields.pop("price_lookback_days", edition.price_lookback_days),
        min_discount_percent=fields.pop("min_discount_percent", edition.min_discount_percent),
        **fields,
    )


def _errors(festival):
    with pytest.raises(ValidationError) as caught:
        festival.full_clean()
    return caught.value.message_dict


def test_stricter_rules_and_a_window_inside_are_accepted(edition):
    sub = _sub(
        edition,
        price_lookback_days=14,
        min_discount_percent=Decimal("10"),
        starts_at=edition.starts_at + timedelta(days=1),
        ends_at=edition.ends_at - timedelta(days=1),
        stackable_kinds=["coupon"],
    )

    sub.full_clean()


def test_a_shorter_lookback_or_a_lower_minimum_discount_is_refused_with_the_editions_value(edition):
    errors = _errors(_sub(edition, price_lookback_days=3, min_discount_percent=Decimal("2")))

    assert "never shorter" in errors["price_lookback_days"][0] and "7 days" in errors["price_lookback_days"][0]
    assert "never a lower one" in errors["min_discount_percent"][0] and "(5" in errors["min_discount_percent"][0]


def test_a_higher_raise_tolerance_or_more_stacking_kinds_is_refused(edition):
    errors = _errors(
        _sub(edition, raise_tolerance_percent=Decimal("50"), stackable_kinds=["threshold", "coupon", "percent_off"])
    )

    assert "never a larger one" in errors["raise_tolerance_percent"][0]
    assert "percent_off" in errors["stackable_kinds"][0]


def test_a_window_outside_the_editions_is_refused(edition):
    errors = _errors(
        _sub(edition, starts_at=edition.starts_at - timedelta(days=1), ends_at=edition.ends_at + timedelta(days=1))
    )

    assert "inside its edition's" in errors["starts_at"][0]
    assert "inside its edition's" in errors["ends_at"][0]


def test_only_one_level_of_sub_festivals(edition):
    sub = _sub(edition)
    sub.save()

    errors = _errors(FestivalFactory.build(slug="subsub", parent=sub, starts_at=sub.starts_at, ends_at=sub.ends_at))

    assert "one level only" in errors["parent"][0]


def test_an_edition_with_sub_festivals_cannot_become_one(edition):
    _sub(edition).save()
    other = FestivalFactory(slug="other")
    edition.parent = other

    assert "sub-festivals of its own" in _errors(edition)["parent"][0]


def test_an_edition_may_not_become_stricter_than_its_sub_festivals(edition):
    _sub(edition).save()
    edition.price_lookback_days = 10
    edition.ends_at -= timedelta(days=3)

    errors = _errors(edition)

    assert "change the sub-festival first" in errors["price_lookback_days"][0]
    assert "must contain it" in errors["ends_at"][0]
