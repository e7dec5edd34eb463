from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    """The State Post Bureau's part: carriers, parcel volumes and express coverage."""

    name = "logistics"
    verbose_name = _("Logistics")

    def ready(self):
        from . import selectors  # noqa: F401  (registers the scoping selectors)
