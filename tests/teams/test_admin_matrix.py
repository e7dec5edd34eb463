"""The permission matrix of the organisers' admin (issue 14): every scoped admin model ×
the nine actors × 浙江's object (own) and 四川's (other's).

Bodies are compared, not only codes: a changelist shows exactly the sides the actor
sees (every name carries its side's marker, so a leaking row, filter choice or count
label shows up), a change page of another team's object is a 404 (never a 403 that
would confirm it exists), a model the role may not view is a 403 on its own objects."""

import pytest
from django.urls import reverse

from tests.admin_support import client_for
from tests.teams.world import ACTORS, build_world, sees

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
]
ADMINS = ("superuser", "national_admin", "provincial_admin")


@pytest.fixture
def world():
    return build_world()


def _client(world, actor):
    from django.test import Client

    user = world.users[actor]
    return Client() if user is None else client_for(user)


@pytest.mark.parametrize(("app", "model", "for_every_role"), ADMIN_MODELS, ids=[m for _a, m, _v in ADMIN_MODELS])
def test_admin_model_matrix(world, app, model, for_every_role):
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
                shown = world.sides[side].mark.lower() in body
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
                if world.sides[side].mark.lower() not in body:
                    failures.append(f"{actor}: change page of {side} lacks its own name")
                if other not in seen and world.sides[other].mark.lower() in body:
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
