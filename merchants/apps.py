from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = _("Merchants")

    def ready(self):
        from core.thumbnails import register_thumbnail

        from . import selectors  # noqa: F401  (registers the scoping selectors)

        register_thumbnail(
            "merchant_logo", model="merchants.Merchant", source_field="logo", thumbnail_field="logo_thumbnail"
        )
        register_thumbnail(
            "certificate_document",
            model="merchants.Certificate",
            source_field="document",
            thumbnail_field="document_thumbnail",
        )
