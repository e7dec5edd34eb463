from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("Partner API")

    def ready(self):
        from api import schema  # noqa: F401  (registers the Api-Key OpenAPI scheme)
        from core.events import subscribe_in_transaction

        from . import selectors, webhooks

        selectors.register_scoping()

        subscribe_in_transaction(webhooks.on_domain_event)
