"""The nightly roll-up adds parcels to each festival day; the public results page, its CSV and
JSON and the results API show parcels per day and the rural share next to sales."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from festival.models import DailyResult
from promotions.results import roll_up_festival
from tests.factories import ParcelReportFactory

from .conftest import first_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(festival, carrier, other_carrier):
    day = first_day(festival)
    for c in (carrier, other_carrier):
        ParcelReportFactory(carrier=c, date=day, province_id="330000", collected=1000, delivered=800)
        ParcelReportFactory(carrier=c, date=day, province_id="110000", collected=500, delivered=400)
    ParcelReportFactory(carrier=carrier, date=day + timedelta(days=1), collected=2000, rural_collected=500)
    ParcelReportFactory(carrier=carrier, date=day - timedelta(days=3), collected=700)  # baseline: not a festival day
    return day


def test_the_roll_up_adds_parcels_to_each_festival_day(festival, reported):
    roll_up_festival(festival, now=festival.ends_at + timedelta(days=1))

    days = {r.date: r for r in DailyResult.objects.filter(festival=festival)}
    first = days[reported]
    assert (first.parcels_collected, first.parcels_delivered) == (3000, 2400)
    assert (first.rural_parcels_collected, first.rural_parcels_delivered, first.carriers_reporting) == (400, 800, 2)
    second = days[reported + timedelta(days=1)]
    assert (second.parcels_collected, second.rural_parcels_collected, second.carriers_reporting) == (2000, 500, 1)
    third = days[reported + timedelta(days=2)]
    assert third.parcels_collected is None and third.carriers_reporting == 0  # nobody reported: empty, not zero
    assert reported - timedelta(days=3) not in days


def test_the_results_api_reads_the_roll_up_once_it_ran(festival, reported):
    from rest_framework.test import APIClient

    roll_up_festival(festival, now=festival.ends_at + timedelta(days=1))
    ParcelReportFactory(carrier__code="LATE", date=reported, collected=500)  # after the roll-up: not yet counted

    parcels = APIClient().get(f"/api/v1/festivals/{festival.slug}/results/").json()["parcels"]

    assert parcels["source"] == "daily_results"
    assert [(d["date"], d["collected"], d["rural_share"]) for d in parcels["by_day"]] == [
        (reported.isoformat(), 3000, "22.2"),
        ((reported + timedelta(days=1)).isoformat(), 2000, "24.1"),
    ]
    assert parcels["total"]["collected"] == 5000


def test_the_public_results_page_shows_parcels_per_day_and_the_rural_share(client, festival, reported):
    response = client.get(reverse("public:results", args=[festival.slug]), {"lang": "en"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Express parcels per day" in html
    assert "data-parcels-chart" in html and 'id="parcels-data"' in html
    assert "5,000" in html  # collected over the festival's days
    assert "22.2%" in html
    chart = response.context["parcels_chart"]
    assert chart["labels"][:2] == [reported.isoformat(), (reported + timedelta(days=1)).isoformat()]
    assert chart["collected"][:2] == [3000, 2000]


def test_the_open_data_carries_parcels(client, festival, reported):
    rows = client.get(reverse("public:results_csv", args=[festival.slug])).content.decode().splitlines()
    data = json.loads(client.get(reverse("public:results_json", args=[festival.slug])).content)

    assert f"parcels_by_day_collected,{reported.isoformat()},3000" in rows
    assert f"parcels_by_day_rural_share,{reported.isoformat()},22.2" in rows
    assert data["parcels_by_day"][0] == {
        "date": reported.isoformat(),
        "collected": 3000,
        "delivered": 2400,
        "rural_share": "22.2",
    }


def test_the_results_page_makes_the_same_queries_with_more_reports(
    client, festival, reported, carrier, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("public:results", args=[festival.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(2, 12):
        ParcelReportFactory(carrier=carrier, date=reported + timedelta(days=n), province_id="440000")

    with django_assert_max_num_queries(len(few)):
        client.get(url)
