from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The Consumers Association's part: consumers' reports of trick pricing."""

    name = "reports"
    verbose_name = _("Consumer reports")

    def ready(self):
        from core.events import subscribe

        from . import notifications

        subscribe(notifications.on_domain_event)
