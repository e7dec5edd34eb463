"""What the public site keeps of its own: the published results of closed festivals."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from festival.models import Festival


class ResultsSnapshot(models.Model):
    """A closed festival's published figures (public.selectors.published_results), counted
    once from the raw rows and kept: the results page and its downloads read this row
    instead of every participation, promotion, item and sales report of a national
    festival on each view. Recounted at most hourly while merchants may still correct
    their sales, then kept as it is."""

    festival = models.OneToOneField(
        Festival,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="results_snapshot",
        verbose_name=_("festival"),
    )
    figures = models.JSONField(_("figures"), encoder=DjangoJSONEncoder)
    computed_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("published results")
        verbose_name_plural = _("published results")

    def __str__(self):
        return str(self.festival)
