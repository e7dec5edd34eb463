from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """The consumer site at /: festivals, promotions, merchants, results."""

    name = "public"
    verbose_name = _("Public site")

    def ready(self):
        from . import handlers  # subscribes to core.events

        handlers.connect_reference_data()
