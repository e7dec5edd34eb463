"""Helpers for the admin tests: users in the organisers' roles, and a logged-in client."""

from django.contrib.auth.models import Group, Permission
from django.test import Client

from festival.roles import ORGANISER_ADMIN, REVIEWER, VIEWER, role_permissions
from tests.factories import MembershipFactory, UserFactory

ROLES = (ORGANISER_ADMIN, REVIEWER, VIEWER)


def role_group(name):
    """The role's group; rebuilt from festival.roles if a transactional test flushed it."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        group.permissions.set(role_permissions(Permission, name))
    return group


def staff_user(role, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(role_group(role))
    return user


def merchant_user(**kwargs):
    return MembershipFactory(**kwargs).user


def client_for(user):
    client = Client()
    client.force_login(user)
    return client
