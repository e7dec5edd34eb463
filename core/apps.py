from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.apps import apps
        from django.db.backends.signals import connection_created

        from .logs import connect_celery_signals
        from .timestamps import use_fast_timestamps
        from .validators import guard_text_fields

        connect_celery_signals()
        connection_created.connect(use_fast_timestamps, dispatch_uid="core.fast_timestamps")

        ours = {"core", "festival", "merchants", "logistics", "promotions", "reports", "api", "public"}
        guard_text_fields(model for model in apps.get_models() if model._meta.app_label in ours)
