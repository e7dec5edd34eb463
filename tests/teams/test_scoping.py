"""Scoping beyond the page matrix: actions, filters, exports, the dashboard, the import,
autocomplete, the API, webhooks and digests, the query counts, and users without a team."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from festival.models import TeamRole
from promotions import notifications
from promotions.models import PromotionStatus
from tests.admin_support import client_for, role_group
from tests.factories import PromotionFactory, TeamMembershipFactory, UserFactory
from tests.teams.world import build_world

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/promotions/promotion/"


@pytest.fixture
def world():
    return build_world()


def _as(world, actor):
    return client_for(world.users[actor])


def test_a_bulk_decision_only_touches_the_teams_own_promotions(world):
    zj, sc = (world.sides[s].objects["promotion"] for s in ("zj", "sc"))
    client = _as(world, "provincial_reviewer")

    client.post(
        CHANGELIST,
        {"action": "decide_approve", "_selected_action": [zj.pk, sc.pk], "confirm": "1", "note": ""},
    )

    zj.refresh_from_db()
    sc.refresh_from_db()
    assert zj.status == PromotionStatus.APPROVED
    assert sc.status == PromotionStatus.SUBMITTED


def test_a_viewer_cannot_decide_even_its_own_teams_promotion(world):
    zj = world.sides["zj"].objects["promotion"]

    response = _as(world, "provincial_viewer").get(
        reverse("admin:promotions_promotion_decide", args=[zj.pk, "approve"])
    )

    assert response.status_code == 403


def test_a_reviewer_in_one_team_and_viewer_in_another_decides_only_where_it_reviews(world):
    user = world.users["provincial_reviewer"]
    TeamMembershipFactory(user=user, organiser=world.sides["sc"].organiser, role=TeamRole.VIEWER)
    zj, sc = (world.sides[s].objects["promotion"] for s in ("zj", "sc"))
    client = client_for(user)

    listing = client.get(CHANGELIST).content.decode()
    own = client.get(reverse("admin:promotions_promotion_decide", args=[zj.pk, "approve"]))
    viewed = client.get(reverse("admin:promotions_promotion_decide", args=[sc.pk, "approve"]))

    assert "ZJMARK" in listing and "SCMARK" in listing  # the union of both teams
    assert own.status_code == 200
    assert viewed.status_code == 403  # seen, so no secret: but a viewer there


def test_list_filters_offer_only_the_teams_festivals(world):
    body = _as(world, "provincial_reviewer").get(CHANGELIST).content.decode()
    national = _as(world, "national_reviewer").get(CHANGELIST).content.decode()

    assert "ZJMARK" in body and "SCMARK" not in body
    assert "SCMARK" in national


def test_search_and_a_filter_on_another_teams_festival_find_nothing(world):
    sc_festival = world.sides["sc"].festival
    client = _as(world, "provincial_reviewer")

    searched = client.get(CHANGELIST, {"q": "SCMARK"}).content.decode()
    filtered = client.get(CHANGELIST, {"festival__id__exact": sc_festival.pk}).content.decode()

    assert "Promotion SCMARK" not in searched
    assert "Promotion SCMARK" not in filtered


def test_the_export_holds_only_the_teams_rows(world):
    response = _as(world, "provincial_reviewer").post(
        reverse("admin:promotions_promotion_export"),
        {"format": "0", "resource": "0", "promotionresource_title": "on", "promotionresource_id": "on"},
    )
    content = b"".join(response.streaming_content) if response.streaming else response.content

    text = content.decode("utf-8-sig")
    assert response.status_code == 200
    assert "Promotion ZJMARK" in text and "SCMARK" not in text


def test_the_dashboard_of_another_teams_festival_is_not_found(world):
    client = _as(world, "provincial_reviewer")

    own = client.get(reverse("admin:promotions_dashboard_festival", args=[world.sides["zj"].festival.pk]))
    other = client.get(reverse("admin:promotions_dashboard_festival", args=[world.sides["sc"].festival.pk]))

    assert own.status_code == 200
    assert "SCMARK" not in own.content.decode()
    assert other.status_code == 404


def test_the_merchant_import_cannot_overwrite_another_teams_merchant(world):
    sc_merchant = world.sides["sc"].objects["merchant"]
    csv = f"uscc,name,kind,country\n{sc_merchant.uscc},Taken over,brand_enterprise,CN\n"

    preview = _as(world, "provincial_admin").post(
        reverse("admin:merchants_merchant_import"),
        {"format": "0", "import_file": SimpleUploadedFile("m.csv", csv.encode())},
    )

    sc_merchant.refresh_from_db()
    assert "confirm_form" not in preview.context or preview.context["confirm_form"] is None
    assert "outside your festivals" in preview.content.decode()
    assert sc_merchant.name == "Merchant SCMARK"


def test_autocomplete_offers_only_visible_merchants(world):
    response = _as(world, "provincial_admin").get(
        "/admin/autocomplete/", {"app_label": "api", "model_name": "apikey", "field_name": "merchant", "term": "MARK"}
    )

    names = [row["text"] for row in response.json()["results"]]
    assert names == ["Merchant ZJMARK"]


def test_an_organisers_api_key_sees_its_festivals_promotions_and_reports_only(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world.sides['zj'].raw_key}")

    promotions = client.get("/api/v1/promotions/", {"status": "submitted"}).json()["results"]
    reports = client.get("/api/v1/reports/").json()["results"]
    other_report = client.get(f"/api/v1/reports/{world.sides['sc'].objects['pricereport'].pk}/")

    assert [p["title"] for p in promotions] == ["Promotion ZJMARK"]
    assert [r["id"] for r in reports] == [world.sides["zj"].objects["pricereport"].pk]
    assert other_report.status_code == 404


def test_a_provincial_session_sees_its_drafts_in_the_api_and_only_public_ones_elsewhere(world):
    client = APIClient()
    client.force_login(world.users["provincial_reviewer"])

    submitted = client.get("/api/v1/promotions/", {"status": "submitted"}).json()["results"]
    other = client.get(f"/api/v1/promotions/{world.sides['sc'].objects['promotion'].pk}/")

    assert [p["title"] for p in submitted] == ["Promotion ZJMARK"]
    assert other.status_code == 404


def test_the_festivals_endpoint_names_each_sub_festivals_parent_and_filters_by_it(world):
    client = APIClient()

    everything = {f["slug"]: f["parent"] for f in client.get("/api/v1/festivals/").json()["results"]}
    subs = [f["slug"] for f in client.get("/api/v1/festivals/", {"parent": "edition"}).json()["results"]]
    editions = [f["slug"] for f in client.get("/api/v1/festivals/", {"parent": "none"}).json()["results"]]

    assert everything == {"edition": None, "sub-zj": "edition", "sub-sc": "edition"}
    assert sorted(subs) == ["sub-sc", "sub-zj"]
    assert editions == ["edition"]


def test_a_reviewers_digest_lists_only_its_teams_queue(world, mailoutbox):
    for actor in ("provincial_reviewer", "other_reviewer", "national_reviewer"):
        user = world.users[actor]
        user.email = f"{actor}@festival.example"
        user.save()
    now = datetime(2026, 5, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

    notifications.send_reviewer_digest(now=now)

    bodies = {mail.to[0].split("@")[0]: mail.body for mail in mailoutbox}
    assert "ZJMARK" in bodies["provincial_reviewer"] and "SCMARK" not in bodies["provincial_reviewer"]
    assert "SCMARK" in bodies["other_reviewer"] and "ZJMARK" not in bodies["other_reviewer"]
    assert "ZJMARK" in bodies["national_reviewer"] and "SCMARK" in bodies["national_reviewer"]


def test_a_role_group_member_without_a_team_sees_no_festival(world):
    legacy = UserFactory(is_staff=True)
    legacy.groups.add(role_group("Reviewer"))

    body = client_for(legacy).get(CHANGELIST).content.decode()

    assert "ZJMARK" not in body and "SCMARK" not in body


@pytest.mark.parametrize("extra", [0, 3])
def test_a_scoped_changelist_costs_what_an_unscoped_one_does(world, extra, django_assert_num_queries):
    """The provincial reviewer's list (scoped by subqueries) makes as many queries as the
    national reviewer's, and more rows add none (no per-row permission checks)."""
    for _ in range(extra):
        PromotionFactory(festival=world.sides["zj"].festival, submitted=True)
        PromotionFactory(festival=world.sides["sc"].festival, submitted=True)
    national, provincial = _as(world, "national_reviewer"), _as(world, "provincial_reviewer")
    national.get(CHANGELIST)  # warm the sessions
    provincial.get(CHANGELIST)

    with django_assert_num_queries(QUERIES):
        national_page = national.get(CHANGELIST)
    with django_assert_num_queries(QUERIES):
        provincial_page = provincial.get(CHANGELIST)

    assert "SCMARK" in national_page.content.decode()
    assert "SCMARK" not in provincial_page.content.decode()


# The session, the user, the team roles (one query), Django's own permissions, then the page
# (whose count also asks PostgreSQL's planner for its estimate: core.pagination).
QUERIES = 9 + (connection.vendor == "postgresql")


def test_a_group_without_a_team_gets_no_digest(world, mailoutbox):
    legacy = UserFactory(is_staff=True, email="legacy@festival.example")
    group = Group.objects.create(name="Custom reviewers")
    legacy.groups.add(group)

    notifications.send_reviewer_digest(now=datetime(2026, 5, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))

    assert "legacy@festival.example" not in [mail.to[0] for mail in mailoutbox]
