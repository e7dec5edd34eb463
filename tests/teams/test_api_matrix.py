"""The partner API × the nine actors (sessions) and the two provincial organisers' keys,
on 浙江's objects (own) and 四川's (other's). Public resources read the same for everyone;
what is not public is seen only within the caller's teams (or its own merchant), and
another team's object is a 404. Bodies are compared, not only codes."""

import pytest
from rest_framework.test import APIClient

from tests.teams.world import ACTORS, build_world, sees

pytestmark = pytest.mark.django_db

CALLERS = (*ACTORS, "zj_key", "sc_key")


@pytest.fixture
def world(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "key": "10000/min", "user": "10000/min"},
    }
    return build_world()


def _client(world, caller):
    client = APIClient()
    if caller.endswith("_key"):
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.sides[caller[:2]].raw_key}")
    elif world.users[caller] is not None:
        client.force_login(world.users[caller])
    return client


def _sees(caller):
    if caller.endswith("_key"):
        return {caller[:2]}
    return sees(caller)


# Who sees a submitted (not public) promotion: the reviewing roles of its teams, its merchant,
# an organiser's key. A viewer's session reads the public promotions only, as before teams.
REVIEWING = {
    "superuser",
    "national_admin",
    "national_reviewer",
    "provincial_admin",
    "provincial_reviewer",
    "other_reviewer",
}


def test_public_resources_read_the_same_for_every_caller(world):
    bodies = {}
    for caller in CALLERS:
        client = _client(world, caller)
        festivals = client.get("/api/v1/festivals/")
        categories = client.get("/api/v1/categories/")
        assert (festivals.status_code, categories.status_code) == (200, 200), caller
        bodies[caller] = (festivals.content, categories.content)

    assert len(set(bodies.values())) == 1


def test_a_submitted_promotion_is_seen_within_its_teams_only(world):
    failures = []
    for caller in CALLERS:
        client = _client(world, caller)
        listed = {p["title"] for p in client.get("/api/v1/promotions/", {"status": "submitted"}).json()["results"]}
        for side in ("zj", "sc"):
            promotion = world.sides[side].objects["promotion"]
            detail = client.get(f"/api/v1/promotions/{promotion.pk}/")
            if caller.endswith("_key"):
                visible = side in _sees(caller)
            elif caller == "merchant":
                visible = side == "zj"  # its own promotion
            else:
                visible = caller in REVIEWING and side in _sees(caller)
            expected = 200 if visible else 404
            if detail.status_code != expected:
                failures.append(f"{caller} {side}: {detail.status_code}, expected {expected}")
            elif visible and detail.json()["title"] != promotion.title:
                failures.append(f"{caller} {side}: another body")
            if (promotion.title in listed) != visible:
                failures.append(f"{caller} {side}: list {'shows' if promotion.title in listed else 'hides'} it")
    assert not failures, "\n".join(failures)


def test_consumer_reports_need_the_scope_and_stay_within_the_keys_organiser(world):
    failures = []
    for caller in CALLERS:
        client = _client(world, caller)
        listing = client.get("/api/v1/reports/")
        if caller == "anonymous":
            expected_list = 401
        elif caller.endswith("_key") or caller == "merchant":
            expected_list = 200
        else:
            expected_list = 403  # a staff session holds no reports:read scope
        if listing.status_code != expected_list:
            failures.append(f"{caller}: list {listing.status_code}, expected {expected_list}")
            continue
        if expected_list != 200:
            continue
        shown = {r["id"] for r in listing.json()["results"]}
        own = {"zj"} if caller == "merchant" else _sees(caller)
        for side in ("zj", "sc"):
            report = world.sides[side].objects["pricereport"]
            detail = client.get(f"/api/v1/reports/{report.pk}/")
            expected = 200 if side in own else 404
            if detail.status_code != expected or ((report.pk in shown) != (side in own)):
                failures.append(f"{caller} {side}: detail {detail.status_code}, listed {report.pk in shown}")
    assert not failures, "\n".join(failures)


def test_merchant_contact_details_only_for_the_teams_that_see_the_merchant(world):
    from merchants.models import ParticipationStatus

    for side in ("zj", "sc"):
        participation = world.sides[side].objects["participation"]
        participation.status = ParticipationStatus.APPROVED
        participation.save()
    failures = []
    for caller in CALLERS:
        merchants = {m["name"]: m for m in _client(world, caller).get("/api/v1/merchants/").json()["results"]}
        for side in ("zj", "sc"):
            row = merchants[f"Merchant {world.sides[side].mark}"]
            if caller.endswith("_key"):
                shown = side in _sees(caller)
            elif caller == "merchant":
                shown = side == "zj"
            else:
                shown = caller in REVIEWING and side in _sees(caller)
            if (row["contact"] is not None) != shown:
                failures.append(f"{caller} {side}: contact {'shown' if row['contact'] else 'hidden'}")
            if row["province"] != {"zj": "330000", "sc": "510000"}[side]:
                failures.append(f"{caller} {side}: province {row['province']}")
    assert not failures, "\n".join(failures)


def test_merchant_resources_refuse_staff_sessions_and_organiser_keys(world):
    for caller in ("national_admin", "provincial_reviewer", "zj_key"):
        client = _client(world, caller)
        for url in ("/api/v1/products/", "/api/v1/sales-reports/"):
            response = client.get(url)
            assert response.status_code == 403, (caller, url)
            assert response.json()["code"] == "permission_denied"


def test_parcel_totals_are_public_and_read_the_same_for_every_caller(world):
    """GET /api/v1/parcels/ holds the national and per-province totals the public results show
    (never a carrier's rows, unless the caller is that carrier's key): public data, so a
    provincial organiser's key reads what an anonymous caller reads, 四川's province included.
    The per-carrier rows are the admin's, scoped there (tests/teams/test_admin_matrix.py)."""
    day = {"date": world.sides["zj"].objects["parcelreport"].date.isoformat()}
    bodies = {}
    for caller in CALLERS:
        response = _client(world, caller).get("/api/v1/parcels/", day)
        assert response.status_code == 200, caller
        bodies[caller] = response.content
    data = _client(world, "zj_key").get("/api/v1/parcels/", day).json()

    assert len(set(bodies.values())) == 1
    assert "own" not in data
    assert {row["province"] for row in data["provinces"]} == {"330000", "510000"}
