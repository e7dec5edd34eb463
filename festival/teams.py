"""Setting organiser teams up (issue 14): the one operation behind
``manage.py add_team_member`` and the admin's team pages."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .backends import forget_team_permissions
from .models import Organiser, TeamMembership, TeamRole


@dataclass
class TeamChange:
    membership: TeamMembership
    user_created: bool
    role_changed: bool
    password_set: bool


def find_organiser(name: str) -> Organiser:
    """The organiser with this short name (or full name); ValidationError if none or several."""
    name = (name or "").strip()
    matches = list(Organiser.objects.filter(short_name=name)) or list(Organiser.objects.filter(name=name))
    if not matches:
        known = ", ".join(Organiser.objects.order_by("pk").values_list("short_name", flat=True))
        raise ValidationError(
            _("No organiser is called “%(name)s”. Known: %(known)s.") % {"name": name, "known": known}
        )
    if len(matches) > 1:
        raise ValidationError(
            _("Several organisers are called “%(name)s”; give the full name: %(names)s.")
            % {"name": name, "names": "; ".join(o.name for o in matches)}
        )
    return matches[0]


@transaction.atomic
def add_team_member(
    *,
    username: str,
    organiser: Organiser,
    role: str,
    password: str | None = None,
    email: str = "",
    by=None,
    may_set_existing_password: bool = False,
) -> TeamChange:
    """Put ``username`` in ``organiser``'s team with ``role`` (or change their role there).

    Creates the staff user when missing (with ``password``, else an unusable one). An
    existing user must be staff-able: a merchant's account never joins a team. Only the
    command line may set an existing user's password (``may_set_existing_password``).
    """
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("Give a username.")})
    if role not in TeamRole.values:
        raise ValidationError(
            {
                "role": _("Unknown role “%(role)s”; one of: %(roles)s.")
                % {"role": role, "roles": ", ".join(TeamRole.values)}
            }
        )
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    created = password_set = False
    if user is None:
        user = User(username=username, email=email or "", is_staff=True)
        if password:
            validate_password(password, user)
            user.set_password(password)
            password_set = True
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        created = True
    else:
        if hasattr(user, "membership"):
            raise ValidationError(
                {
                    "username": _(
                        "“%(username)s” works for a merchant; a merchant's account cannot join an organiser's team."
                    )
                    % {"username": username}
                }
            )
        if password:
            if not may_set_existing_password:
                raise ValidationError(
                    {
                        "password": _("“%(username)s” already has an account; their password stays theirs.")
                        % {"username": username}
                    }
                )
            validate_password(password, user)
            user.set_password(password)
            password_set = True
        if not user.is_staff:
            user.is_staff = True
        user.save()
    membership = TeamMembership.objects.select_for_update().filter(user=user, organiser=organiser).first()
    role_changed = False
    if membership is None:
        membership = TeamMembership.objects.create(user=user, organiser=organiser, role=role, added_by=by)
        role_changed = True
    elif membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
        role_changed = True
    forget_team_permissions(user)
    return TeamChange(membership=membership, user_created=created, role_changed=role_changed, password_set=password_set)
