from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The Consumers Association's part: consumers' reports of trick pricing."""

    name = "reports"
    verbose_name = _("Consumer reports")

    def ready(self):
        from . import selectors  # noqa: F401  (registers the scoping selectors)
        from core.events import subscribe_in_transaction

        from . import notifications

        subscribe_in_transaction(notifications.on_domain_event)
