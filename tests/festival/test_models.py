"""Festival windows in the festival's own time zone, and the festival's invariants."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from festival.categories import CATEGORY_SLUGS, ensure_category_tree
from festival.models import Category, Festival
from tests.factories import CategoryFactory, FestivalFactory

pytestmark = pytest.mark.django_db


def test_end_of_day_is_the_last_second_in_the_festival_zone_not_utc_midnight():
    festival = Festival(time_zone="Asia/Shanghai")

    end = festival.end_of_day(date(2020, 5, 10))

    assert end.astimezone(UTC) == datetime(2020, 5, 10, 15, 59, 59, tzinfo=UTC)
    assert end != datetime(2020, 5, 11, 0, 0, tzinfo=UTC)
    assert festival.local(end).strftime("%Y-%m-%d %H:%M:%S") == "2020-05-10 23:59:59"


def test_end_of_day_follows_the_festivals_own_zone():
    berlin = Festival(time_zone="Europe/Berlin")

    # Summer time in Berlin is UTC+2.
    assert berlin.end_of_day(date(2020, 5, 10)).astimezone(UTC) == datetime(2020, 5, 10, 21, 59, 59, tzinfo=UTC)
    assert berlin.start_of_day(date(2020, 4, 28)).astimezone(UTC) == datetime(2020, 4, 27, 22, 0, tzinfo=UTC)


def test_window_contains_is_inclusive_at_both_ends():
    festival = Festival(time_zone="Asia/Shanghai")
    festival.starts_at = festival.start_of_day(date(2020, 4, 28))
    festival.ends_at = festival.end_of_day(date(2020, 5, 10))

    assert festival.window_contains(festival.starts_at, festival.ends_at)
    assert not festival.window_contains(festival.starts_at - timedelta(seconds=1), festival.ends_at)
    assert not festival.window_contains(festival.starts_at, festival.ends_at + timedelta(seconds=1))


def test_unknown_time_zone_is_refused():
    festival = FestivalFactory.build(time_zone="Asia/Beijing")

    with pytest.raises(ValidationError) as excinfo:
        festival.full_clean()

    assert "time_zone" in excinfo.value.message_dict


@pytest.mark.parametrize(
    "change, field",
    [
        ({"ends_at": "starts_at"}, "ends_at"),
        ({"registration_closes_at": "registration_opens_at"}, "registration_closes_at"),
        ({"submission_deadline": "after_start"}, "submission_deadline"),
        ({"registration_opens_at": "after_start"}, "registration_opens_at"),
        ({"stacking_order": ["item_price", "bogus"]}, "stacking_order"),
        ({"stacking_order": ["item_price", "item_price"]}, "stacking_order"),
    ],
)
def test_festival_clean_refuses_disordered_windows(change, field):
    festival = FestivalFactory.build()
    for name, value in change.items():
        if value == "after_start":
            value = festival.starts_at + timedelta(hours=1)
        elif isinstance(value, str):
            value = getattr(festival, value)
        setattr(festival, name, value)

    with pytest.raises(ValidationError) as excinfo:
        festival.clean()

    assert field in excinfo.value.message_dict


@pytest.mark.parametrize(
    "fields",
    [
        {"ends_at": "starts_at"},
        {"registration_closes_at": "registration_opens_at"},
        {"registration_opens_at": "after_start"},
        {"submission_deadline": "after_start"},
        {"min_discount_percent": 100},
        {"min_discount_percent": -1},
        {"price_lookback_days": 0},
    ],
)
def test_db_festival_check_constraints(fields):
    festival = FestivalFactory.build()
    for name, value in fields.items():
        if value == "after_start":
            value = festival.starts_at + timedelta(hours=1)
        elif isinstance(value, str):
            value = getattr(festival, value)
        setattr(festival, name, value)

    with pytest.raises(IntegrityError), transaction.atomic():
        festival.save()


def test_db_festival_slug_unique():
    FestivalFactory(slug="2020")

    with pytest.raises(IntegrityError), transaction.atomic():
        FestivalFactory(slug="2020")


def test_category_cannot_be_its_own_ancestor():
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    parent.parent = child

    with pytest.raises(ValidationError) as excinfo:
        parent.clean()

    assert "parent" in excinfo.value.message_dict


def test_category_tree_has_the_spec_categories_and_certificate_requirements():
    tree = ensure_category_tree()

    assert set(tree) == set(CATEGORY_SLUGS)
    roots = Category.objects.filter(parent=None, slug__in=CATEGORY_SLUGS).order_by("position")
    assert [c.slug for c in roots] == [
        "small-and-beautiful",
        "time-honoured",
        "certified-produce",
        "catering",
        "tourism",
        "foreign-trade",
        "silk-road",
    ]
    children = {c.slug: c.required_certificate_kind for c in tree["certified-produce"].children.all()}
    assert children == {
        "pollution-free": "pollution_free",
        "green-food": "green_food",
        "organic": "organic",
        "geographical-indication": "geographical_indication",
    }
    assert tree["time-honoured"].required_certificate_kind == "time_honoured"
    assert tree["certified-produce"].required_certificate_kind == ""
    assert all(c.name and c.name_en for c in tree.values())


def test_category_tree_is_idempotent_and_keeps_organisers_edits():
    ensure_category_tree()
    Category.objects.filter(slug="catering").update(name="餐饮外卖")

    ensure_category_tree()

    assert Category.objects.filter(slug__in=CATEGORY_SLUGS).count() == 11
    assert Category.objects.get(slug="catering").name == "餐饮外卖"
