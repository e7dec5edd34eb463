"""The festival dashboard rolls sub-festivals up (issue 14): a national team opening the
edition sees figures summing the edition and both sub-festivals, with a row for each; a
provincial team sees only its own sub-festival's figures, and never 四川's numbers.
Figures are compared, not only codes."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants.daily_sales import rebuild_daily_sales
from promotions.dashboard import festival_dashboard
from tests.admin_support import client_for
from tests.factories import MerchantFactory, ParticipationFactory, PromotionFactory, SalesReportFactory
from tests.teams.world import build_world

pytestmark = pytest.mark.django_db

DASHBOARD = "admin:promotions_dashboard_festival"
# Reported sales per festival: distinct figures, so one side's number cannot pass for another's.
SALES = {"zj": (Decimal("12345.67"), 1234), "sc": (Decimal("98765.43"), 4321), "edition": (Decimal("500.00"), 5)}


@pytest.fixture
def world():
    world = build_world()
    for side in ("zj", "sc"):
        report = world.sides[side].objects["salesreport"]
        report.gmv, report.orders = SALES[side]
        report.save()  # past the services (the merchants' participations are not approved): recount
    rebuild_daily_sales()
    # The edition's own merchant, participation, promotion waiting for review and sales.
    merchant = MerchantFactory(name="Edition merchant")
    ParticipationFactory(merchant=merchant, festival=world.edition, status="approved")
    PromotionFactory(merchant=merchant, festival=world.edition, submitted=True, title="Edition promotion")
    SalesReportFactory(merchant=merchant, festival=world.edition, gmv=SALES["edition"][0], orders=SALES["edition"][1])
    return world


def _open(world, actor, festival):
    return client_for(world.users[actor]).get(reverse(DASHBOARD, args=[festival.pk]))


def test_a_national_team_sees_the_edition_summed_with_both_sub_festivals(world):
    response = _open(world, "national_reviewer", world.edition)

    dashboard = response.context["dashboard"]
    body = response.content.decode()
    assert response.status_code == 200
    assert dashboard.total_gmv == sum(gmv for gmv, _orders in SALES.values()) == Decimal("111611.10")
    assert dashboard.total_orders == 1234 + 4321 + 5
    assert dashboard.pending_promotions == 3  # one waiting in each festival
    assert dashboard.participations_by_status["applied"] == 2  # one in each sub-festival
    assert dashboard.participations_by_status["approved"] == 1  # the edition's
    # One row per festival summed, telling them apart.
    rows = {row.festival.pk: row for row in dashboard.breakdown}
    assert list(rows) == [world.edition.pk, world.sides["zj"].festival.pk, world.sides["sc"].festival.pk]
    for key, festival in (
        ("edition", world.edition),
        ("zj", world.sides["zj"].festival),
        ("sc", world.sides["sc"].festival),
    ):
        assert (rows[festival.pk].gmv, rows[festival.pk].orders) == SALES[key]
        assert rows[festival.pk].pending_promotions == 1
    assert (rows[world.sides["zj"].festival.pk].promotions, rows[world.sides["zj"].festival.pk].public_promotions) == (
        2,
        1,
    )
    assert "¥12,345.67" in body and "¥98,765.43" in body and "¥111,611.10" in body
    assert "ZJMARK" in body and "SCMARK" in body


@pytest.mark.parametrize(
    ("actor", "side", "other"), [("provincial_reviewer", "zj", "sc"), ("other_reviewer", "sc", "zj")]
)
def test_a_provincial_team_sees_only_its_own_sub_festivals_figures(world, actor, side, other):
    response = _open(world, actor, world.sides[side].festival)

    dashboard = response.context["dashboard"]
    body = response.content.decode()
    own_gmv, own_orders = SALES[side]
    other_gmv, other_orders = SALES[other]
    assert response.status_code == 200
    assert (dashboard.total_gmv, dashboard.total_orders) == (own_gmv, own_orders)
    assert dashboard.pending_promotions == 1
    assert [row.festival.pk for row in dashboard.breakdown] == [world.sides[side].festival.pk]
    assert not dashboard.rolls_up
    assert f"{other_gmv:,}" not in body and str(other_gmv) not in body and f"{other_orders:,}" not in body
    assert world.sides[other].mark not in body
    # Neither the edition's (which sums the other side) nor the other side's dashboard opens.
    assert _open(world, actor, world.edition).status_code == 404
    assert _open(world, actor, world.sides[other].festival).status_code == 404


def test_the_roll_up_bounded_by_a_provincial_user_never_sums_the_other_sub_festival(world):
    """The selector bounds the roll-up itself, whatever festival is asked for."""
    dashboard = festival_dashboard(world.edition, user=world.users["provincial_reviewer"])

    assert (dashboard.total_gmv, dashboard.total_orders) == SALES["zj"]
    assert [row.festival.pk for row in dashboard.breakdown] == [world.sides["zj"].festival.pk]


def test_the_roll_up_links_the_waiting_promotions_of_every_festival_summed(world):
    client = client_for(world.users["national_reviewer"])
    dashboard = client.get(reverse(DASHBOARD, args=[world.edition.pk])).context["dashboard"]

    listing = client.get(
        reverse("admin:promotions_promotion_changelist"),
        {"status__exact": "submitted", "festival__id__in": dashboard.festival_ids},
    )

    body = listing.content.decode()
    assert listing.status_code == 200
    assert "Promotion ZJMARK" in body and "Promotion SCMARK" in body and "Edition promotion" in body


@pytest.mark.parametrize("extra", [0, 3])
def test_the_rolled_up_dashboard_costs_the_same_queries_for_more_rows(world, extra):
    for n in range(extra):
        for side in ("zj", "sc"):
            festival = world.sides[side].festival
            merchant = world.sides[side].objects["merchant"]
            PromotionFactory(merchant=merchant, festival=festival, submitted=True, title=f"More {side} {n}")
    client = client_for(world.users["national_reviewer"])
    client.get(reverse(DASHBOARD, args=[world.edition.pk]))  # warm the session

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(DASHBOARD, args=[world.edition.pk]))

    assert response.context["dashboard"].pending_promotions == 3 + 2 * extra
    assert len(queries) == QUERIES


# The same whatever the rows: the session, the user, the team roles, Django's own permissions,
# the festival and the picker's festivals, the summed festivals and the figures' aggregates.
QUERIES = 16
