"""A guard: every ModelAdmin of the desk's own apps is scoped by team (ScopedAdminMixin), and
every model in a role's reach has its scoping selector, so a new admin cannot slip past the
teams' scope unnoticed (the logistics admin once did)."""

from django.contrib import admin

from festival import scoping
from festival.admin_scoping import ScopedAdminMixin
from festival.roles import FESTIVAL_APPS, TEAM_EXCLUDED_MODELS

OWN_APPS = {*FESTIVAL_APPS, "api"}


def test_every_admin_of_our_apps_is_scoped():
    unscoped = sorted(
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OWN_APPS and not isinstance(model_admin, ScopedAdminMixin)
    )

    assert unscoped == []


def test_every_model_a_team_role_reaches_has_a_scoping_selector():
    missing = sorted(
        model._meta.label
        for model in admin.site._registry
        if model._meta.app_label in FESTIVAL_APPS
        and (model._meta.app_label, model._meta.model_name) not in TEAM_EXCLUDED_MODELS  # superusers' alone
        and scoping.selector_for(model) is None
    )

    assert missing == []
