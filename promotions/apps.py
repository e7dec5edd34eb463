from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = _("Promotions")

    def ready(self):
        from festival.events import subscribe

        from . import (
            notifications,
            pricing_handlers,  # noqa: F401  (subscribes the honest-price event handlers)
        )

        subscribe(notifications.on_domain_event)
