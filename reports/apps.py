from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The Consumers Association's part: consumers' reports of trick pricing."""

    name = "reports"
    verbose_name = _("Consumer reports")

    def ready(self):
        from core.events import subscribe_in_transaction

        from . import (
            notifications,
            selectors,  # noqa: F401  (registers the scoping selectors)
        )

        subscribe_in_transaction(notifications.on_domain_event)
