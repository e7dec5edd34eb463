"""Permissions from organiser teams (issue 14).

``AUTHENTICATION_BACKENDS`` is axes' backend first (it refuses a locked-out login),
then this one, then Django's ``ModelBackend``. This backend authenticates nobody; it
answers ``has_perm`` from the user's team roles:

- without an object: the user holds the permission in at least one team (so the admin
  shows the page, the button or the action);
- with an object: the user holds it in a team whose scope contains the object, asked of
  the object's one scoping selector (festival/scoping.py). A reviewer in 浙江's team and
  viewer in 四川's may approve 浙江's promotions and only look at 四川's.

``ModelBackend`` still answers superusers and permissions given to a user directly; a
role group's members (the desk-wide groups before teams) get its permissions there but no
scope: they see nothing of any festival until they join a team (README, "Teams").
"""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Cast, Concat

from . import scoping
from .models import TeamMembership
from .roles import ROLE_GROUPS, team_grants

CACHE_ATTRIBUTE = "_team_perm_cache"


def team_permissions(user) -> dict[int, frozenset[str]]:
    """{organiser id: the permissions ("app.codename") the user's role holds there}, cached on the user."""
    cached = getattr(user, CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    result: dict[int, frozenset[str]] = {}
    if getattr(user, "pk", None) is not None and user.is_active and not user.is_anonymous:
        roles, national, by_group = {}, set(), defaultdict(set)
        for kind, first, second, third in _team_rows(user.pk):
            if kind == "m":  # a membership: organiser id, role, "n" for a national organiser
                roles[int(first)] = second
                if third == "n":
                    national.add(int(first))
            else:  # a permission of a role's group: group name, "app.model", codename
                by_group[first].add((second, third))
        for organiser, role in roles.items():
            held = by_group.get(ROLE_GROUPS.get(role, ""), ())
            result[organiser] = frozenset(
                f"{label.partition('.')[0]}.{codename}"
                for label, codename in held
                if team_grants(
                    label.partition(".")[0], codename, label.partition(".")[2], national=organiser in national
                )
            )
    setattr(user, CACHE_ATTRIBUTE, result)
    return result


def _team_rows(user_id):
    """The user's memberships and their roles' permissions in one query (a UNION), so a team
    user's request costs one query more than a superuser's, like a group member's."""
    role_group = Case(
        *(When(role=role, then=Value(group)) for role, group in ROLE_GROUPS.items()), output_field=CharField()
    )
    memberships = TeamMembership.objects.filter(user_id=user_id).order_by()
    rows = memberships.annotate(
        kind=Value("m", output_field=CharField()),
        first=Cast("organiser_id", CharField()),
        second=F("role"),
        third=Case(
            When(organiser__province__isnull=True, then=Value("n")), default=Value("p"), output_field=CharField()
        ),
    ).values_list("kind", "first", "second", "third")
    permissions = (
        Permission.objects.filter(group__name__in=memberships.annotate(group_name=role_group).values("group_name"))
        .annotate(
            kind=Value("p", output_field=CharField()),
            first=F("group__name"),
            second=Concat("content_type__app_label", Value("."), "content_type__model", output_field=CharField()),
            third=F("codename"),
        )
        .order_by()
        .values_list("kind", "first", "second", "third")
    )
    return rows.union(permissions, all=True)


def forget_team_permissions(user) -> None:
    if hasattr(user, CACHE_ATTRIBUTE):
        delattr(user, CACHE_ATTRIBUTE)


class TeamPermissionBackend:
    """Permissions only: no ``get_user`` (a session is never this backend's, so the test
    client's ``force_login`` and the session keep naming ModelBackend)."""

    def authenticate(self, request, **credentials):
        return None  # the password is ModelBackend's business

    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        held = set().union(*team_permissions(user_obj).values())
        if obj is None:
            return held
        return {perm for perm in held if self.has_perm(user_obj, perm, obj)}

    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        teams = team_permissions(user_obj)
        if obj is None:
            return any(perm in perms for perms in teams.values())
        if not any(perm in perms for perms in teams.values()):
            return False
        selector = scoping.selector_for(type(obj))
        if selector is None:
            return False  # objects outside every team's scope are the superusers'
        return selector(user_obj, perm=perm).filter(pk=obj.pk).exists()

    def has_module_perms(self, user_obj, app_label):
        return any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj))

    def with_perm(self, perm, is_active=True, include_superusers=True, obj=None):
        """Users holding ``perm`` through a team role (in any team)."""
        app_label, _dot, codename = perm.partition(".")
        groups = Permission.objects.filter(content_type__app_label=app_label, codename=codename).values_list(
            "group__name", flat=True
        )
        groups = set(groups)
        roles = [role for role, group in ROLE_GROUPS.items() if group in groups]
        users = get_user_model()._default_manager.filter(team_memberships__role__in=roles)
        if is_active is not None:
            users = users.filter(is_active=is_active)
        return users.distinct()
