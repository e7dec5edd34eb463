"""The organisers' admin, scoped by team (issue 14): one mixin on every ModelAdmin.

Every page of a model goes through its one scoping selector (festival/scoping.py):

- the changelist, search, date drill-down, exports and the review queue counts read
  ``get_queryset``, which adds the scope to the admin's own queryset (as subqueries:
  a scoped list costs the same queries as an unscoped one);
- another team's object by URL (change, delete, history, decision pages and the
  app's own views) is a 404, never a 403 that would confirm it exists;
- what a user may do with one object is their role in the team that owns it
  (``user.has_perm(perm, obj)``, festival/backends.py);
- actions only touch the selected objects the user's role allows the action on;
- related-object filters, form choices and autocomplete offer only visible objects;
- inlines show only the visible rows of a visible object.
"""

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.http import Http404
from django.utils.translation import gettext as _

from . import scoping


def scoped(model, request, queryset, perm=None):
    """``queryset`` bounded by ``model``'s selector for the request's user; a model
    without a selector is the superusers' alone."""
    selector = scoping.selector_for(model)
    if selector is None:
        return queryset if request.user.is_superuser else queryset.none()
    return selector(request.user, perm=perm, queryset=queryset)


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-object filter offering only the objects the user sees (same single query)."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        selector = scoping.selector_for(field.related_model)
        if selector is None:
            return field.get_choices(include_blank=False, ordering=ordering)
        visible = selector(request.user).values("pk")
        return field.get_choices(include_blank=False, limit_choices_to={"pk__in": visible}, ordering=ordering)


def _is_relation(model, path):
    field = None
    for name in path.split("__"):
        try:
            field = model._meta.get_field(name)
        except Exception:
            return False
        if field.is_relation:
            model = field.related_model
        elif name != path.split("__")[-1]:
            return False
    return field is not None and field.is_relation and not field.auto_created


class ScopedInlineMixin:
    """Inline rows bounded by their model's selector."""

    def get_queryset(self, request):
        return scoped(self.model, request, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _scope_choices(field, db_field, request)


def _scope_choices(formfield, db_field, request):
    if formfield is not None and hasattr(formfield, "queryset") and not request.user.is_superuser:
        selector = scoping.selector_for(db_field.related_model)
        if selector is not None:
            formfield.queryset = selector(request.user, queryset=formfield.queryset)
    return formfield


class ScopedAdminMixin:
    """Put first in a ModelAdmin's bases (see the module's docstring)."""

    # An action's ``allowed_permissions`` name → the permission it needs on each object,
    # when it is not one of the model's add/change/delete/view (e.g. {"review": "promotions.review_promotion"}).
    action_permission_names: dict[str, str] = {}

    def scope_queryset(self, request, queryset, perm=None):
        return scoped(self.model, request, queryset, perm)

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another team's object is "not found", exactly like one that never existed.
        raise Http404(_("Not found."))

    # Permissions on one object: the user's role in the team that owns it.

    def _object_permission(self, request, obj, action):
        if obj is None or request.user.is_superuser:
            return True
        codename = get_permission_codename(action, self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}", obj)

    def has_view_permission(self, request, obj=None):
        if not super().has_view_permission(request, obj):
            return False
        return self._object_permission(request, obj, "view") or self._object_permission(request, obj, "change")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._object_permission(request, obj, "change")

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._object_permission(request, obj, "delete")

    # Filters, choices and actions.

    def get_list_filter(self, request):
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and _is_relation(self.model, entry):
                entry = (entry, ScopedRelatedFieldListFilter)
            filters.append(entry)
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _scope_choices(super().formfield_for_foreignkey(db_field, request, **kwargs), db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return _scope_choices(super().formfield_for_manytomany(db_field, request, **kwargs), db_field, request)

    def action_permission(self, func) -> str:
        """The permission each selected object needs for ``func`` to act on it."""
        explicit = getattr(func, "scoping_permission", None)
        if explicit:
            return explicit
        for name in getattr(func, "allowed_permissions", ()):
            if name in self.action_permission_names:
                return self.action_permission_names[name]
            if name in ("add", "change", "delete", "view"):
                return f"{self.opts.app_label}.{get_permission_codename(name, self.opts)}"
        return f"{self.opts.app_label}.{get_permission_codename('view', self.opts)}"

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {
            name: (self._scoped_action(func), name, description) for name, (func, _n, description) in actions.items()
        }

    def _scoped_action(self, func):
        perm = self.action_permission(func)

        def action(modeladmin, request, queryset):
            return func(modeladmin, request, modeladmin.scope_queryset(request, queryset, perm))

        for attribute in ("allowed_permissions", "short_description", "scoping_permission"):
            if hasattr(func, attribute):
                setattr(action, attribute, getattr(func, attribute))
        action.__name__ = getattr(func, "__name__", "action")
        return action
