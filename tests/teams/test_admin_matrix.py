"""The permission matrix of the organisers' admin (issue 14): every scoped admin model ×
the nine actors × 浙江's object (own) and 四川's (other's).

Bodies are compared, not only codes: a changelist shows exactly the sides the actor
sees (every name carries its side's marker, so a leaking row, filter choice or count
label shows up), a change page of another team's object is a 404 (never a 403 that
would confirm it exists), a model the role may not view is a 403 on its own objects.

The Post Bureau's data (parcel reports with their replaced versions, coverage) is per province:
its rows are marked by their province's name, and a provincial team sees its province's only,
read-only. Carriers are a reference table: every team reads them, only national teams change them."""

import pytest
from django.urls import reverse

from logistics import selectors as logistics_selectors
from logistics.models import Carrier, Coverage, ParcelReport, ParcelReportVersion
from tests.admin_support import client_for
from tests.teams.world import ACTORS, PROVINCE_MARKS, build_world, sees

pytestmark = pytest.mark.django_db

# (app, model, may reviewers and viewers view it?)
ADMIN_MODELS = [
    ("festival", "festival", True),
    ("festival", "organiser", True),
    ("festival", "dailyresult", True),
    ("festival", "teammembership", True),
    ("merchants", "merchant", True),
    ("merchants", "participation", True),
    ("merchants", "certificate", True),
    ("merchants", "product", True),
    ("merchants", "pricepoint", True),
    ("merchants", "salesreport", True),
    ("merchants", "membership", True),
    ("promotions", "promotion", True),
    ("reports", "pricereport", True),
    ("api", "apikey", False),
    ("api", "webhooksubscription", False),
    ("api", "webhookdelivery", False),
    ("logistics", "parcelreport", True),
    ("logistics", "coverage", True),
]
ADMINS = ("superuser", "national_admin", "provincial_admin")


@pytest.fixture
def world():
    return build_world()


def _mark(world, app, side):
    """What names a side's objects on a page: the festival side's marker, or the province (logistics)."""
    return (PROVINCE_MARKS[side] if app == "logistics" else world.sides[side].mark).lower()


def _client(world, actor):
    from django.test import Client

    user = world.users[actor]
    return Client() if user is None else client_for(user)


@pytest.mark.parametrize(("app", "model", "for_every_role"), ADMIN_MODELS, ids=[m for _a, m, _v in ADMIN_MODELS])
def test_admin_model_matrix(world, app, model, for_every_role):
    marks = {side: _mark(world, app, side) for side in ("zj", "sc")}
    failures = []
    for actor in ACTORS:
        client = _client(world, actor)
        listing = client.get(reverse(f"admin:{app}_{model}_changelist"))
        pages = {
            side: client.get(reverse(f"admin:{app}_{model}_change", args=[world.sides[side].objects[model].pk]))
            for side in ("zj", "sc")
        }
        if actor in ("merchant", "anonymous"):
            for response in (listing, *pages.values()):
                if response.status_code != 302 or "/admin/login/" not in response["Location"]:
                    failures.append(f"{actor}: {response.status_code} instead of the admin login")
            continue
        may_view = for_every_role or actor in ADMINS
        seen = sees(actor)
        if not may_view:
            if listing.status_code != 403:
                failures.append(f"{actor}: changelist {listing.status_code}, expected 403")
        else:
            body = listing.content.decode().lower()
            if listing.status_code != 200:
                failures.append(f"{actor}: changelist {listing.status_code}")
            for side in ("zj", "sc"):
                shown = marks[side] in body
                if shown != (side in seen):
                    failures.append(f"{actor}: changelist {'shows' if shown else 'hides'} {side}")
        for side, response in pages.items():
            if not may_view:
                expected = 403  # the role may not view this model at all: the same answer for any id
            elif side not in seen:
                expected = 404
            else:
                expected = 200
            if response.status_code != expected:
                failures.append(f"{actor}: change page of {side} {response.status_code}, expected {expected}")
            elif expected == 200:
                other = "sc" if side == "zj" else "zj"
                body = response.content.decode().lower()
                if marks[side] not in body:
                    failures.append(f"{actor}: change page of {side} lacks its own name")
                if other not in seen and marks[other] in body:
                    failures.append(f"{actor}: change page of {side} shows {other}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("actor", ["provincial_reviewer", "other_reviewer", "national_reviewer"])
def test_history_and_delete_pages_of_another_team_are_not_found(world, actor):
    client = _client(world, actor)
    for side in ("zj", "sc"):
        promotion = world.sides[side].objects["promotion"]
        history = client.get(reverse("admin:promotions_promotion_history", args=[promotion.pk]))
        decide = client.get(reverse("admin:promotions_promotion_decide", args=[promotion.pk, "approve"]))

        expected = 200 if side in sees(actor) else 404
        assert (history.status_code, decide.status_code) == (expected, expected), side


def test_reference_tables_are_read_by_every_team_and_the_mail_log_by_superusers_only(world):
    for actor in ("provincial_viewer", "other_reviewer", "national_reviewer"):
        client = _client(world, actor)
        assert client.get(reverse("admin:festival_category_changelist")).status_code == 200
        assert client.get(reverse("admin:festival_province_changelist")).status_code == 200
        assert client.get(reverse("admin:festival_sentnotification_changelist")).status_code == 403
        assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert _client(world, "superuser").get(reverse("admin:festival_sentnotification_changelist")).status_code == 200


def test_the_admin_index_counts_only_the_teams_queue(world):
    zj = _client(world, "provincial_reviewer").get(reverse("admin:index"))
    national = _client(world, "national_reviewer").get(reverse("admin:index"))

    assert zj.context["queue_counts"]["promotion"] == 1
    assert zj.context["queue_counts"]["participation"] == 1
    assert national.context["queue_counts"]["promotion"] == 2


# The Post Bureau's data ----------------------------------------------------------------------

LOGISTICS_MODELS = {
    ParcelReport: "parcelreport",
    ParcelReportVersion: "parcelreportversion",
    Coverage: "coverage",
}


@pytest.mark.parametrize("model", list(LOGISTICS_MODELS), ids=list(LOGISTICS_MODELS.values()))
def test_the_logistics_selectors_bound_each_actor_to_its_provinces(world, model):
    """Every logistics model's selector (what the admin, the dashboard and the backend ask) ×
    the actors: national teams both provinces, provincial teams their own, the rest nothing."""
    from festival import scoping

    failures = []
    for actor in ACTORS:
        user = world.users[actor]
        rows = set(scoping.visible(model, user).values_list("pk", flat=True))
        expected = {world.sides[side].objects[LOGISTICS_MODELS[model]].pk for side in sees(actor)}
        if actor == "superuser":
            expected = set(model.objects.values_list("pk", flat=True))
        if rows != expected:
            failures.append(f"{actor}: {sorted(rows)}, expected {sorted(expected)}")
    assert not failures, "\n".join(failures)


def test_a_reports_replaced_versions_show_on_its_page_for_the_teams_that_see_it(world):
    for actor in ("national_reviewer", "provincial_viewer", "other_reviewer"):
        client = _client(world, actor)
        for side in ("zj", "sc"):
            report = world.sides[side].objects["parcelreport"]
            response = client.get(reverse("admin:logistics_parcelreport_change", args=[report.pk]))
            if side in sees(actor):
                assert response.status_code == 200, (actor, side)
                assert f"carrier {world.sides[side].mark}" in response.content.decode(), (actor, side)
            else:
                assert response.status_code == 404, (actor, side)


def test_carriers_are_read_by_every_team_and_changed_by_national_teams_only(world):
    carrier = world.carrier
    change = reverse("admin:logistics_carrier_change", args=[carrier.pk])
    for actor in ("national_admin", "national_reviewer", "provincial_admin", "provincial_viewer", "other_reviewer"):
        client = _client(world, actor)
        listing = client.get(reverse("admin:logistics_carrier_changelist"))
        page = client.get(change)
        assert (listing.status_code, page.status_code) == (200, 200), actor
        assert "Carrier LOGI" in listing.content.decode(), actor
        # The read-only page has no save button for anyone but the national admins.
        assert ('name="_save"' in page.content.decode()) == (actor == "national_admin"), actor

    posted = _client(world, "provincial_admin").post(
        change, {"code": "LOGI", "name": "Renamed", "name_en": "", "uscc": carrier.uscc, "active": "on"}
    )
    carrier.refresh_from_db()
    assert posted.status_code == 403
    assert carrier.name == "Carrier LOGI"
    assert Carrier.objects.count() == 1


def test_a_provincial_admin_reads_its_provinces_logistics_data_but_changes_and_imports_nothing(world):
    client = _client(world, "provincial_admin")
    coverage = world.sides["zj"].objects["coverage"]
    before = (coverage.townships, coverage.townships_served)

    page = client.get(reverse("admin:logistics_coverage_change", args=[coverage.pk]))
    posted = client.post(
        reverse("admin:logistics_coverage_change", args=[coverage.pk]),
        {
            "province": "330000",
            "date": coverage.date.isoformat(),
            "townships": 1,
            "townships_served": 1,
            "villages": 1,
            "villages_served": 1,
        },
    )
    imported = client.get(reverse("admin:logistics_parcelreport_import"))
    added = client.get(reverse("admin:logistics_coverage_add"))

    coverage.refresh_from_db()
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert posted.status_code == 403
    assert (coverage.townships, coverage.townships_served) == before
    assert imported.status_code == 403
    assert added.status_code == 403
    # The national team's admin (the bureau's role holds the same) imports.
    assert _client(world, "national_admin").get(reverse("admin:logistics_parcelreport_import")).status_code == 200


def _province_choices(response):
    changelist = response.context["cl"]
    specs = [spec for spec in changelist.filter_specs if getattr(spec, "field_path", None) == "province"]
    return {str(choice["display"]) for spec in specs for choice in spec.choices(changelist)}


def test_the_parcel_reports_province_filter_offers_only_the_teams_provinces(world):
    changelist = reverse("admin:logistics_parcelreport_changelist")
    zj = _province_choices(_client(world, "provincial_reviewer").get(changelist))
    national = _province_choices(_client(world, "national_reviewer").get(changelist))

    assert "四川省" not in zj  # one province: Django leaves the filter out
    assert {"浙江省", "四川省"} <= national
    assert set(logistics_selectors.parcel_provinces(world.users["provincial_reviewer"])) == {
        world.sides["zj"].organiser.province
    }
