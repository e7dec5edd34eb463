"""The organisers' roles: each group can do exactly its part; merchants never enter /admin/."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from festival.roles import ORGANISER_ADMIN, REVIEWER, VIEWER
from merchants.models import Merchant
from promotions.models import PromotionStatus
from tests.admin_support import client_for, merchant_user, staff_user
from tests.factories import (
    CertificateFactory,
    FestivalFactory,
    MerchantFactory,
    ParticipationFactory,
    PromotionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

groups_migration = importlib.import_module("festival.migrations.0002_organiser_groups")


def _codenames(name):
    return set(Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename"))


def test_migration_creates_the_three_groups_with_their_permissions():
    organiser_admin, reviewer, viewer = (_codenames(n) for n in (ORGANISER_ADMIN, REVIEWER, VIEWER))

    assert {
        ("auth", "add_user"),
        ("merchants", "delete_merchant"),
        ("merchants", "override_uscc_check"),
    } <= organiser_admin
    assert ("merchants", "view_merchant") in viewer
    assert all(codename.startswith("view_") for _app, codename in viewer)
    assert reviewer - viewer == {
        ("merchants", "verify_certificate"),
        ("merchants", "review_participation"),
        ("promotions", "review_promotion"),
    }
    assert not any(app == "auth" for app, _codename in reviewer | viewer)


def test_migration_is_reversible():
    state_apps = MigrationExecutor(connection).loader.project_state(("festival", "0002_organiser_groups")).apps
    groups_migration.remove_groups(state_apps, None)
    assert not Group.objects.filter(name__in=[ORGANISER_ADMIN, REVIEWER, VIEWER]).exists()

    groups_migration.create_groups(state_apps, None)

    assert set(Group.objects.values_list("name", flat=True)) >= {ORGANISER_ADMIN, REVIEWER, VIEWER}
    assert ("promotions", "review_promotion") in _codenames(REVIEWER)


def test_merchant_account_cannot_enter_admin(client):
    user = merchant_user()
    client.force_login(user)

    response = client.get("/admin/")
    merchants = client.get(reverse("admin:merchants_merchant_changelist"))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert merchants.status_code == 302 and "/admin/login/" in merchants["Location"]


def test_merchant_account_cannot_log_in_to_admin(client):
    user = merchant_user()

    response = client.post("/admin/login/", {"username": user.username, "password": "pass-word-123"})

    assert response.status_code == 200  # the form again, with an error
    assert "staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def _is_login_page(response):
    return "admin/login.html" in {template.name for template in response.templates} or 'id="login-form"' in (
        response.content.decode()
    )


@pytest.mark.parametrize("role", [ORGANISER_ADMIN, REVIEWER, VIEWER])
def test_every_role_reads_the_back_office(role):
    user = staff_user(role)
    client = client_for(user)
    merchant = MerchantFactory()
    festival = FestivalFactory()

    for url in (
        "/admin/",
        reverse("admin:merchants_merchant_changelist"),
        reverse("admin:merchants_merchant_change", args=[merchant.pk]),
        reverse("admin:promotions_promotion_changelist"),
        reverse("admin:merchants_participation_changelist"),
        reverse("admin:merchants_certificate_changelist"),
        reverse("admin:festival_festival_changelist"),
        reverse("admin:promotions_dashboard"),
        reverse("admin:promotions_dashboard_festival", args=[festival.pk]),
    ):
        response = client.get(url, follow=True)

        # The page itself, not a redirect (to the login form or anywhere else).
        assert response.redirect_chain == [], (url, response.redirect_chain)
        assert response.status_code == 200, url
        assert response.request["PATH_INFO"] == url
        assert not _is_login_page(response), url
        assert response.context["user"] == user
    assert merchant.name in client.get(reverse("admin:merchants_merchant_changelist")).content.decode()
    assert festival.name in client.get(reverse("admin:promotions_dashboard")).content.decode()


@pytest.mark.parametrize("role", [ORGANISER_ADMIN, REVIEWER, VIEWER])
def test_the_dashboard_without_a_festival_sends_every_role_to_the_festival_list(role):
    client = client_for(staff_user(role))

    response = client.get(reverse("admin:promotions_dashboard"), follow=True)

    changelist = reverse("admin:festival_festival_changelist")
    assert response.redirect_chain == [(changelist, 302)]
    assert response.status_code == 200 and response.request["PATH_INFO"] == changelist
    assert not _is_login_page(response)
    assert "Create a festival first" in response.content.decode()


def test_organiser_admin_manages_merchants_and_deletes_but_not_desk_wide_users():
    client = client_for(staff_user(ORGANISER_ADMIN))
    merchant = MerchantFactory()

    assert client.get(reverse("admin:merchants_merchant_add")).status_code == 200
    assert client.get(reverse("admin:merchants_merchant_import")).status_code == 200
    assert client.get(reverse("admin:merchants_merchant_invite", args=[merchant.pk])).status_code == 200
    # An organiser's team admin manages their team (festival.TeamMembership), never every account.
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:festival_teammembership_changelist")).status_code == 200
    response = client.post(reverse("admin:merchants_merchant_delete", args=[merchant.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Merchant.objects.filter(pk=merchant.pk).exists()


@pytest.mark.parametrize("role", [REVIEWER, VIEWER])
def test_reviewer_and_viewer_cannot_register_import_invite_delete_or_manage_users(role):
    client = client_for(staff_user(role))
    merchant = MerchantFactory()

    assert client.get(reverse("admin:merchants_merchant_add")).status_code == 403
    assert client.get(reverse("admin:merchants_merchant_import")).status_code == 403
    assert client.get(reverse("admin:merchants_merchant_invite", args=[merchant.pk])).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert (
        client.post(reverse("admin:merchants_merchant_delete", args=[merchant.pk]), {"post": "yes"}).status_code == 403
    )
    response = client.post(
        reverse("admin:merchants_merchant_change", args=[merchant.pk]),
        {"name": "Renamed", "uscc": merchant.uscc, "kind": merchant.kind, "country": "CN"},
    )
    assert response.status_code == 403
    merchant.refresh_from_db()
    assert merchant.name != "Renamed"
    assert Merchant.objects.filter(pk=merchant.pk).exists()


def test_reviewer_decides_promotions_participations_and_certificates():
    reviewer = staff_user(REVIEWER)
    client = client_for(reviewer)
    promotion = PromotionFactory(submitted=True)
    participation = ParticipationFactory(applied=True)
    certificate = CertificateFactory()

    client.post(reverse("admin:promotions_promotion_decide", args=[promotion.pk, "approve"]), {"note": ""})
    client.post(reverse("admin:merchants_participation_decide", args=[participation.pk, "approve"]), {"note": ""})
    client.post(reverse("admin:merchants_certificate_decide", args=[certificate.pk, "verify"]), {"note": ""})

    promotion.refresh_from_db()
    participation.refresh_from_db()
    certificate.refresh_from_db()
    assert (promotion.status, participation.status, certificate.status) == ("approved", "approved", "verified")
    assert promotion.events.get(to_status="approved").actor == reviewer


def test_viewer_cannot_decide_anything():
    client = client_for(staff_user(VIEWER))
    promotion = PromotionFactory(submitted=True)
    participation = ParticipationFactory(applied=True)

    decide = client.post(reverse("admin:promotions_promotion_decide", args=[promotion.pk, "approve"]), {"note": ""})
    bulk = client.post(
        reverse("admin:promotions_promotion_changelist"),
        {"action": "decide_approve", "_selected_action": [promotion.pk], "confirm": "yes"},
    )
    participation_decide = client.post(
        reverse("admin:merchants_participation_decide", args=[participation.pk, "approve"]), {"note": ""}
    )

    assert decide.status_code == 403
    assert participation_decide.status_code == 403
    # The changelist again (not the login form), without the decision among its actions.
    assert bulk.status_code == 200 and not _is_login_page(bulk)
    assert "admin/change_list.html" in {template.name for template in bulk.templates}
    assert "decide_approve" not in bulk.content.decode()
    promotion.refresh_from_db()
    participation.refresh_from_db()
    assert promotion.status == PromotionStatus.SUBMITTED
    assert participation.status == "applied"


def test_viewer_exports_merchants():
    client = client_for(staff_user(VIEWER))
    MerchantFactory(name="Exported merchant")

    response = client.post(
        reverse("admin:merchants_merchant_export"),
        {"format": "0", "resource": "0", **{f"merchantresource_{f}": "on" for f in ("uscc", "name", "kind")}},
    )

    assert response.status_code == 200
    assert "Exported merchant" in response.content.decode("utf-8-sig")


def test_staff_without_a_role_sees_nothing():
    client = client_for(UserFactory(is_staff=True))
    promotion = PromotionFactory(submitted=True)

    assert client.get(reverse("admin:merchants_merchant_changelist")).status_code == 403
    assert client.get(reverse("admin:promotions_dashboard")).status_code == 403
    assert client.get(reverse("admin:merchants_merchant_export")).status_code == 403
    assert client.post(reverse("admin:promotions_promotion_decide", args=[promotion.pk, "approve"])).status_code == 403


def test_permissions_of_models_added_later_reach_the_roles_after_migrate():
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from festival.roles import refresh_role_groups

    content_type = ContentType.objects.get(app_label="promotions", model="promotion")
    new_view = Permission.objects.create(codename="view_newthing", name="Can view new thing", content_type=content_type)
    new_delete = Permission.objects.create(codename="delete_newthing", name="Can delete", content_type=content_type)

    refresh_role_groups(apps=apps)

    assert {("promotions", "view_newthing"), ("promotions", "delete_newthing")} <= _codenames(ORGANISER_ADMIN)
    assert ("promotions", "view_newthing") in _codenames(VIEWER)
    assert ("promotions", "delete_newthing") not in _codenames(REVIEWER)
    assert new_view.pk and new_delete.pk


def test_a_flush_puts_the_role_groups_back():
    """``flush`` (run after each transactional test) empties the groups and sends post_migrate
    without ``apps``; the roles must be whole again for the next test."""
    from django.core.management.sql import emit_post_migrate_signal

    Group.objects.all().delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert set(Group.objects.values_list("name", flat=True)) >= {ORGANISER_ADMIN, REVIEWER, VIEWER}
    assert _codenames(REVIEWER) - _codenames(VIEWER) == {
        ("merchants", "verify_certificate"),
        ("merchants", "review_participation"),
        ("promotions", "review_promotion"),
    }
