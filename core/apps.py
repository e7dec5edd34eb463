from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.apps import apps

        from .logs import connect_celery_signals
        from .validators import guard_text_fields

        connect_celery_signals()

        ours = {"core", "festival", "merchants", "logistics", "promotions", "reports", "api", "public"}
        guard_text_fields(model for model in apps.get_models() if model._meta.app_label in ours)
