from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class FestivalConfig(AppConfig):
    name = "festival"
    verbose_name = _("Festival")

    def ready(self):
        from . import checks  # noqa: F401  (registers the project's system checks)
        from .provinces import restore_provinces
        from .roles import refresh_role_groups
        from .scoping import register_festival_selectors

        register_festival_selectors()

        # Not limited to this app: permissions of apps listed later are created
        # by their own post_migrate, after ours.
        post_migrate.connect(refresh_role_groups, dispatch_uid="festival.refresh_role_groups")
        post_migrate.connect(restore_provinces, sender=self, dispatch_uid="festival.restore_provinces")


class FestivalAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the organisers' site (festival/admin_site.py) as admin.site."""

    default = False  # named in INSTALLED_APPS; "festival" stays FestivalConfig
    default_site = "festival.admin_site.FestivalAdminSite"
