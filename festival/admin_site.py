"""The organisers' admin site: the index groups the plumbing (periodic-task tables)
under one "System settings" section that only superusers see, after the apps
organisers work in."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Apps that are machinery, not festival work: shown to superusers only, grouped in one section.
SYSTEM_APP_LABELS = ("django_celery_beat", "axes")
SYSTEM_SECTION_LABEL = "system_settings"


class FestivalAdminSite(admin.AdminSite):
    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        if app_label is not None:
            return app_list
        work = [app for app in app_list if app["app_label"] not in SYSTEM_APP_LABELS]
        system_models = [model for app in app_list if app["app_label"] in SYSTEM_APP_LABELS for model in app["models"]]
        if request.user.is_superuser and system_models:
            work.append(
                {
                    "name": _("System settings"),
                    "app_label": SYSTEM_SECTION_LABEL,
                    "app_url": "",
                    "has_module_perms": True,
                    "models": system_models,
                }
            )
        return work

    def logout(self, request, extra_context=None):
        """Log out and land on the admin's own login (LOGOUT_REDIRECT_URL is the merchant portal's)."""
        request.current_app = self.name
        view = LogoutView.as_view(
            next_page=reverse("admin:login", current_app=self.name),
            extra_context={**self.each_context(request), "has_permission": False, **(extra_context or {})},
        )
        return view(request)

    # The review queues' counts on the index ("Promotions waiting for review 12"). Each
    # count goes through the model admin's own queryset, so it shows what the user may see.
    REVIEW_QUEUES = (
        ("promotions", "promotion", "submitted"),
        ("merchants", "participation", "applied"),
        ("merchants", "certificate", "pending"),
    )

    # Past this many waiting rows the index shows "1000+": counting every one grew with the
    # festival (20,151 applied participations at a tenth of a national festival, 5–23 ms).
    QUEUE_COUNT_LIMIT = 1000

    def review_queue_counts(self, request) -> dict[str, int | str]:
        counts = {}
        for model, model_admin in self._registry.items():
            for app_label, model_name, status in self.REVIEW_QUEUES:
                if (model._meta.app_label, model._meta.model_name) != (app_label, model_name):
                    continue
                if model_admin.has_view_permission(request):
                    from_roll_up = getattr(model_admin, "review_queue_count", None)
                    if from_roll_up is not None:  # a model admin that keeps its queue's count
                        counts[model_name] = from_roll_up(request, status)
                        continue
                    queryset = model._default_manager.filter(status=status)
                    scope = getattr(model_admin, "scope_queryset", None)
                    if scope is not None:  # what the user's teams see (festival/admin_scoping.py)
                        queryset = scope(request, queryset)
                    counted = queryset.order_by()[: self.QUEUE_COUNT_LIMIT + 1].count()
                    counts[model_name] = counted if counted <= self.QUEUE_COUNT_LIMIT else f"{self.QUEUE_COUNT_LIMIT}+"
        return counts

    def index(self, request, extra_context=None):
        extra_context = {"queue_counts": self.review_queue_counts(request), **(extra_context or {})}
        return super().index(request, extra_context)
