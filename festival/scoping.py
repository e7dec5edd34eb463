"""Who sees what: one scoping selector per model, bounded by the user's organiser teams.

Every model an organiser's team works with has exactly one selector, a function
``visible_<things>(user, *, perm=None, queryset=None)`` in its app's ``selectors.py``,
registered here with ``register``. The admin (festival/admin_scoping.py), the API, the
exports, the dashboard, the digests and the permission backend all ask that function;
none writes its own filter.

- ``user`` is a staff user (or the API's key user, see ``organiser_ids``);
- ``perm`` narrows to the teams where the user's role holds that permission (what they
  may *decide*, not only see);
- ``queryset`` is the starting queryset (the admin's, with its annotations); the scope
  is added as subqueries, so a scoped list costs the same number of queries as an
  unscoped one.

Superusers see everything; a user in no team sees nothing. The organisers of an
edition see it and all its sub-festivals; a sub-festival's organisers see only theirs.
"""

from collections.abc import Callable

from django.db.models import Q, QuerySet

from .models import Festival, Organiser, TeamMembership

ALL = None  # organiser_ids() for a superuser: no bound

_SELECTORS: dict[str, Callable[..., QuerySet]] = {}


def register(model, selector: Callable[..., QuerySet]) -> Callable[..., QuerySet]:
    _SELECTORS[model._meta.label_lower] = selector
    return selector


def selector_for(model) -> Callable[..., QuerySet] | None:
    return _SELECTORS.get(model._meta.label_lower)


def visible(model, user, *, perm=None, queryset=None) -> QuerySet:
    """The registered selector of ``model`` (raises KeyError for a model without one)."""
    return _SELECTORS[model._meta.label_lower](user, perm=perm, queryset=queryset)


def organiser_ids(user, perm=None) -> frozenset[int] | None:
    """The organisers whose teams bound what ``user`` sees (``perm``: where the role holds it);
    None for a superuser (no bound). An API key bound to an organiser answers for itself."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset()
    own = getattr(user, "team_organiser_ids", None)
    if own is not None:  # the API's key user (api/authentication.py)
        return own(perm)
    if user.is_superuser:
        return ALL
    from .backends import team_permissions

    teams = team_permissions(user)
    if perm is None:
        return frozenset(teams)
    return frozenset(organiser for organiser, perms in teams.items() if perm in perms)


def _base(model, queryset):
    return model._default_manager.all() if queryset is None else queryset


def organised_festival_ids(ids) -> QuerySet:
    """Ids of the festivals the organisers run themselves (a subquery)."""
    return Festival.organisers.through.objects.filter(organiser_id__in=ids).values("festival_id")


def festival_ids_for(ids) -> QuerySet:
    """Ids of the festivals the organisers see: theirs, and the sub-festivals of their editions (a subquery)."""
    own = organised_festival_ids(ids)
    return Festival.objects.filter(Q(pk__in=own) | Q(parent_id__in=own)).values("pk")


def festival_q(user, *, perm=None, field="festival") -> Q | None:
    """Q for rows whose ``field`` (a festival foreign key path) is a festival the user sees;
    None means everything (a superuser)."""
    ids = organiser_ids(user, perm)
    if ids is ALL:
        return None
    return Q(**{f"{field}__in": festival_ids_for(list(ids))})


def scope(queryset: QuerySet, condition: Q | None) -> QuerySet:
    return queryset if condition is None else queryset.filter(condition)


# The festival app's own selectors --------------------------------------------------------


def visible_festivals(user, *, perm=None, queryset=None) -> QuerySet[Festival]:
    return scope(_base(Festival, queryset), festival_q(user, perm=perm, field="pk"))


def visible_daily_results(user, *, perm=None, queryset=None):
    from .models import DailyResult

    return scope(_base(DailyResult, queryset), festival_q(user, perm=perm))


def visible_festival_events(user, *, perm=None, queryset=None):
    from .models import FestivalEvent

    return scope(_base(FestivalEvent, queryset), festival_q(user, perm=perm))


def visible_team_memberships(user, *, perm=None, queryset=None) -> QuerySet[TeamMembership]:
    """A team member sees their teams' members, and the national organisers' teams the teams
    of their sub-festivals' organisers (an admin role there manages them)."""
    queryset = _base(TeamMembership, queryset)
    if organiser_ids(user, perm) is ALL:
        return queryset
    return queryset.filter(organiser_id__in=visible_organisers(user, perm=perm).values("pk"))


def visible_organisers(user, *, perm=None, queryset=None) -> QuerySet[Organiser]:
    """The organisers of the festivals the user sees, and the user's own."""
    ids = organiser_ids(user, perm)
    queryset = _base(Organiser, queryset)
    if ids is ALL:
        return queryset
    ids = list(ids)
    return queryset.filter(
        Q(pk__in=ids)
        | Q(
            pk__in=Festival.organisers.through.objects.filter(festival_id__in=festival_ids_for(ids)).values(
                "organiser_id"
            )
        )
    )


def provincial_organisers(ids) -> QuerySet[Organiser]:
    return Organiser.objects.filter(pk__in=list(ids), province__isnull=False)


def national_organisers(ids) -> QuerySet[Organiser]:
    return Organiser.objects.filter(pk__in=list(ids), province__isnull=True)


def visible_reference(model):
    """A reference table every team reads (categories, provinces): no bound."""

    def selector(user, *, perm=None, queryset=None):
        return _base(model, queryset)

    selector.__name__ = f"visible_{model._meta.model_name}"
    return selector


def register_festival_selectors():
    from .models import Category, DailyResult, FestivalEvent, Province

    register(Category, visible_reference(Category))
    register(Province, visible_reference(Province))
    register(Festival, visible_festivals)
    register(DailyResult, visible_daily_results)
    register(FestivalEvent, visible_festival_events)
    register(TeamMembership, visible_team_memberships)
    register(Organiser, visible_organisers)
