"""Migration festival/0007: members of the old desk-wide role groups keep their reach as
team members of every organiser that ran a festival, and leave the groups."""

import importlib

import pytest
from django.apps import apps

from festival.models import TeamMembership
from tests.admin_support import role_group
from tests.factories import FestivalFactory, OrganiserFactory, UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("festival.migrations.0008_role_groups_to_teams")


def test_group_members_join_the_organisers_teams_with_their_strongest_role_and_leave_the_groups():
    ministry, association = OrganiserFactory(name="Ministry"), OrganiserFactory(name="Association")
    FestivalFactory(organisers=[ministry, association])
    OrganiserFactory(name="Runs nothing")
    reviewer, both = UserFactory(is_staff=True), UserFactory(is_staff=True)
    reviewer.groups.add(role_group("Reviewer"))
    both.groups.add(role_group("Viewer"), role_group("Organiser admin"))

    migration.groups_to_teams(apps, None)

    teams = set(TeamMembership.objects.values_list("user__username", "organiser__name", "role"))
    assert teams == {
        (reviewer.username, "Ministry", "reviewer"),
        (reviewer.username, "Association", "reviewer"),
        (both.username, "Ministry", "admin"),
        (both.username, "Association", "admin"),
    }
    assert not reviewer.groups.exists() and not both.groups.exists()
    assert reviewer.has_perm("promotions.review_promotion")
