from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = _("Promotions")

    def ready(self):
        from core.events import subscribe_in_transaction
        from core.thumbnails import register_thumbnail

        from . import (
            notifications,
            pricing_handlers,  # noqa: F401  (subscribes the honest-price event handlers)
            selectors,  # noqa: F401  (registers the scoping selectors)
            tallies,
        )

        tallies.connect_signals()
        subscribe_in_transaction(notifications.on_domain_event)
        register_thumbnail(
            "promotion_banner", model="promotions.Promotion", source_field="banner", thumbnail_field="banner_thumbnail"
        )
