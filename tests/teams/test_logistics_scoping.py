"""The Post Bureau's data by team (issue 14): the logistics dashboard, the changelists' query
cost and the export read what the user's teams see (every province for a national team, its
own for a provincial one); figures are compared, not only codes."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logistics.models import ParcelReport
from logistics.periods import festival_period
from tests.admin_support import client_for
from tests.factories import ParcelReportFactory
from tests.teams.world import build_world

pytestmark = pytest.mark.django_db

DASHBOARD = "admin:logistics_dashboard_festival"
FIGURES = {"330000": 5000, "510000": 7000}  # collected on the festival's first day, per province


@pytest.fixture
def world():
    world = build_world()
    day = festival_period(world.edition).first
    for province, collected in FIGURES.items():
        ParcelReportFactory(
            carrier=world.carrier,
            date=day,
            province_id=province,
            collected=collected,
            delivered=collected,
            rural_collected=0,
            rural_delivered=0,
        )
    return world


def _dashboard(world, actor, festival):
    response = client_for(world.users[actor]).get(reverse(DASHBOARD, args=[festival.pk]))
    return response


def _first_day(dashboard):
    return next(day for day in dashboard.days if day["in_festival"])


def test_the_national_team_sees_every_provinces_parcels_on_the_dashboard(world):
    response = _dashboard(world, "national_reviewer", world.edition)

    dashboard = response.context["dashboard"]
    assert response.status_code == 200
    assert _first_day(dashboard)["collected"] == 12000
    assert {row.province.code: row.collected for row in dashboard.provinces} == FIGURES
    assert {row.province.code for row in dashboard.coverage} == {"330000", "510000"}


@pytest.mark.parametrize(
    ("actor", "side", "other"), [("provincial_reviewer", "zj", "sc"), ("other_reviewer", "sc", "zj")]
)
def test_a_provincial_team_sees_only_its_provinces_parcels_on_the_dashboard(world, actor, side, other):
    own_province = world.sides[side].organiser.province
    other_province = world.sides[other].organiser.province

    response = _dashboard(world, actor, world.sides[side].festival)

    dashboard = response.context["dashboard"]
    body = response.content.decode()
    assert response.status_code == 200
    assert _first_day(dashboard)["collected"] == FIGURES[own_province.code]
    assert {row.province.code: row.collected for row in dashboard.provinces} == {
        own_province.code: FIGURES[own_province.code]
    }
    assert [row.province.code for row in dashboard.coverage] == [own_province.code]
    assert other_province.name not in body
    assert f"{FIGURES[other_province.code]:,}" not in body and str(FIGURES[other_province.code]) not in body
    # The edition and the other sub-festival are not its festivals: not found.
    assert _dashboard(world, actor, world.edition).status_code == 404
    assert _dashboard(world, actor, world.sides[other].festival).status_code == 404


def test_the_dashboard_without_a_festival_picks_from_the_teams_own(world):
    response = client_for(world.users["provincial_reviewer"]).get(reverse("admin:logistics_dashboard"))

    assert response.status_code == 200
    assert response.context["festival"] == world.sides["zj"].festival
    assert [f.pk for f in response.context["festivals"]] == [world.sides["zj"].festival.pk]


@pytest.mark.parametrize("extra", [0, 3])
def test_a_scoped_parcel_changelist_costs_what_the_national_one_does(world, extra):
    """The provincial reviewer's list (scoped by subqueries) makes as many queries as the
    national reviewer's, and more rows add none (no per-row checks)."""
    for n in range(extra):
        for province in FIGURES:
            ParcelReportFactory(carrier=world.carrier, province_id=province, date=date(2026, 1, 1 + n))
    changelist = reverse("admin:logistics_parcelreport_changelist")
    counts, bodies = {}, {}
    for actor in ("national_reviewer", "provincial_reviewer"):
        client = client_for(world.users[actor])
        client.get(changelist)  # warm the session
        with CaptureQueriesContext(connection) as queries:
            response = client.get(changelist)
        assert response.status_code == 200
        counts[actor], bodies[actor] = len(queries), response.content.decode()

    assert counts == {"national_reviewer": QUERIES, "provincial_reviewer": QUERIES}
    assert "四川省" in bodies["national_reviewer"] and "四川省" not in bodies["provincial_reviewer"]


# the session, the user, the team roles (one query), Django's own permissions (two), the carrier
# filter, the province filter, the count (with, on PostgreSQL, the planner's estimate: core.pagination),
# the page, the date drill-down (two)
QUERIES = 11 + (connection.vendor == "postgresql")


def test_a_provincial_export_holds_only_its_provinces_reports(world):
    response = client_for(world.users["provincial_admin"]).post(
        reverse("admin:logistics_parcelreport_export"),
        {"format": "0", "resource": "0", **{f"parcelreportresource_{name}": "on" for name in ("date", "province")}},
    )

    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = content.decode("utf-8-sig")
    assert response.status_code == 200
    assert "330000" in body and "510000" not in body
    assert ParcelReport.objects.filter(province_id="510000").exists()
