"""The demo logins are roles in the national organisers' team (商务部), not group members."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from demo.builder import DemoBuilder
from demo.plan import DEMO_PASSWORD, REVIEW_PERMISSIONS
from festival.models import TeamMembership

pytestmark = pytest.mark.django_db


def test_demo_logins_join_the_national_organisers_team_once():
    builder = DemoBuilder(now=timezone.now())
    builder.ensure_organisers()

    builder.ensure_users()
    builder.ensure_users()  # idempotent

    User = get_user_model()
    reviewer, viewer = User.objects.get(username="reviewer"), User.objects.get(username="viewer")
    teams = {
        (m.user.username, m.organiser.name, m.role) for m in TeamMembership.objects.select_related("user", "organiser")
    }
    assert teams == {
        ("organiser", "商务部", "admin"),
        ("reviewer", "商务部", "reviewer"),
        ("viewer", "商务部", "viewer"),
    }
    assert reviewer.has_perms(REVIEW_PERMISSIONS)
    assert viewer.has_perm("promotions.view_promotion") and not viewer.has_perm("promotions.change_promotion")
    assert not viewer.has_perm("promotions.review_promotion")
    assert not reviewer.groups.exists() and not reviewer.user_permissions.exists()
    assert reviewer.check_password(DEMO_PASSWORD)
    assert User.objects.count() == 3
