"""The demo logins join the admin's "Reviewer" and "Viewer" groups when those exist."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from demo.builder import DemoBuilder
from demo.plan import DEMO_PASSWORD, REVIEW_PERMISSIONS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("group_permissions", [[], ["review_promotion"]], ids=["empty group", "partial group"])
def test_demo_users_join_the_groups_when_they_exist(group_permissions):
    reviewers, _ = Group.objects.get_or_create(name="Reviewer")
    reviewers.permissions.set(Permission.objects.filter(codename__in=group_permissions))
    viewers, _ = Group.objects.get_or_create(name="Viewer")

    DemoBuilder(now=timezone.now()).ensure_users()

    User = get_user_model()
    reviewer, viewer = User.objects.get(username="reviewer"), User.objects.get(username="viewer")
    assert list(reviewer.groups.all()) == [reviewers]
    assert list(viewer.groups.all()) == [viewers]
    assert reviewer.has_perms(REVIEW_PERMISSIONS)
    assert not viewer.user_permissions.exists()


def test_demo_users_without_groups_get_permissions_directly():
    Group.objects.filter(name__in=["Reviewer", "Viewer"]).delete()

    DemoBuilder(now=timezone.now()).ensure_users()
    DemoBuilder(now=timezone.now()).ensure_users()  # idempotent

    User = get_user_model()
    reviewer, viewer = User.objects.get(username="reviewer"), User.objects.get(username="viewer")
    assert reviewer.has_perms(REVIEW_PERMISSIONS)
    assert viewer.has_perm("promotions.view_promotion") and not viewer.has_perm("promotions.change_promotion")
    assert not viewer.has_perm("promotions.review_promotion")
    assert reviewer.check_password(DEMO_PASSWORD)
    assert User.objects.count() == 3
