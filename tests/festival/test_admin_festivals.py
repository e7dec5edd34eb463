"""Festival editions in the admin: windows and honesty rules validated, times in the festival's zone."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from festival.models import Festival
from festival.roles import ORGANISER_ADMIN, REVIEWER
from tests.admin_support import client_for, staff_user
from tests.factories import FestivalFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
MANAGEMENT = {
    "events-TOTAL_FORMS": "0",
    "events-INITIAL_FORMS": "0",
    "events-MIN_NUM_FORMS": "0",
    "events-MAX_NUM_FORMS": "1000",
}


def _form(**overrides):
    data = {
        "name": "2021 双品网购节",
        "name_en": "2021 Double Product Online Shopping Festival",
        "slug": "double-product-2021",
        "edition": "3",
        "description": "",
        "time_zone": "Asia/Shanghai",
        "registration_opens_at_0": "2021-03-01",
        "registration_opens_at_1": "09:00",
        "registration_closes_at_0": "2021-04-15",
        "registration_closes_at_1": "18:00",
        "submission_deadline_0": "2021-04-20",
        "submission_deadline_1": "23:59",
        "starts_at_0": "2021-04-28",
        "starts_at_1": "00:00",
        "ends_at_0": "2021-05-10",
        "ends_at_1": "23:59:59",
        "price_lookback_days": "7",
        "min_discount_percent": "5",
        "raise_lookback_days": "30",
        "raise_tolerance_percent": "5",
        "stacking_order": '["item_price", "percent_off", "amount_off", "threshold", "coupon"]',
        "stackable_kinds": '["threshold", "coupon"]',
        **MANAGEMENT,
    }
    data.update(overrides)
    return data


@pytest.fixture
def organiser_client():
    return client_for(staff_user(ORGANISER_ADMIN))


def test_create_a_festival_with_its_windows_and_rules(organiser_client):
    response = organiser_client.post(reverse("admin:festival_festival_add"), _form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    festival = Festival.objects.get()
    assert festival.starts_at == datetime(2021, 4, 28, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert festival.ends_at == festival.end_of_day(festival.ends_at.astimezone(festival.tz).date())
    assert festival.status == "planned"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"submission_deadline_0": "2021-04-29"}, "The submission deadline must be before the festival starts."),
        ({"registration_opens_at_0": "2021-05-01"}, "Registration must open before the festival window."),
        ({"ends_at_0": "2021-04-27"}, "The festival must end after it starts."),
        ({"registration_closes_at_0": "2021-02-01"}, "Registration must close after it opens."),
        ({"stacking_order": '["item_price", "magic"]'}, "List the stacking steps"),
        ({"min_discount_percent": "120"}, "Ensure this value is less than or equal to 99."),
        ({"time_zone": "Mars/Olympus"}, "is not a known time zone"),
    ],
)
def test_invalid_windows_and_rules_are_refused_with_a_message(organiser_client, overrides, message):
    response = organiser_client.post(reverse("admin:festival_festival_add"), _form(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Festival.objects.exists()


def test_times_are_shown_and_read_in_the_festivals_time_zone(organiser_client):
    festival = FestivalFactory(
        time_zone="Asia/Tokyo",
        registration_opens_at=datetime(2021, 3, 1, 9, 0, tzinfo=TOKYO),
        registration_closes_at=datetime(2021, 4, 15, 18, 0, tzinfo=TOKYO),
        submission_deadline=datetime(2021, 4, 20, 12, 0, tzinfo=TOKYO),
        starts_at=datetime(2021, 4, 28, 0, 0, tzinfo=TOKYO),
        ends_at=datetime(2021, 5, 10, 23, 59, 59, tzinfo=TOKYO),
    )
    change_url = reverse("admin:festival_festival_change", args=[festival.pk])

    changelist = organiser_client.get(reverse("admin:festival_festival_changelist")).content.decode()
    change_page = organiser_client.get(change_url).content.decode()
    organiser_client.post(
        change_url,
        _form(
            name=festival.name,
            slug=festival.slug,
            time_zone="Asia/Tokyo",
            registration_opens_at_0="2021-03-01",
            registration_closes_at_0="2021-04-15",
            submission_deadline_0="2021-04-20",
            starts_at_0="2021-04-28",
            starts_at_1="10:00",
            ends_at_0="2021-05-10",
        ),
    )

    assert "2021-04-28 00:00 – 2021-05-10 23:59" in changelist  # not 2021-04-27 23:00 (Beijing)
    assert 'value="2021-04-28"' in change_page and 'value="00:00:00"' in change_page
    festival.refresh_from_db()
    assert festival.starts_at == datetime(2021, 4, 28, 10, 0, tzinfo=TOKYO)


def test_reviewer_sees_festivals_but_cannot_change_them():
    festival = FestivalFactory(name="Original")
    client = client_for(staff_user(REVIEWER))

    page = client.get(reverse("admin:festival_festival_change", args=[festival.pk]))
    response = client.post(reverse("admin:festival_festival_change", args=[festival.pk]), _form(name="Changed"))

    assert page.status_code == 200
    assert response.status_code == 403
    festival.refresh_from_db()
    assert festival.name == "Original"


def test_a_new_festival_reads_its_times_in_the_zone_it_names(organiser_client):
    organiser_client.post(reverse("admin:festival_festival_add"), _form(time_zone="Asia/Tokyo"))

    festival = Festival.objects.get()
    assert festival.starts_at == datetime(2021, 4, 28, 0, 0, tzinfo=TOKYO)
