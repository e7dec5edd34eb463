"""Abstract models every app's history shares. core has no tables of its own."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StatusChange(models.Model):
    """One status change of an object: who, when, from, to and why.

    Written only by ``core.workflow.transition`` (and the clock's bulk moves). A
    subclass adds the foreign key to its object (``related_name="events"``), names
    it in ``subject_field``, and narrows ``from_status``/``to_status`` to its
    statuses' choices; fields and indexes are otherwise the same for every history.
    """

    subject_field: str = ""

    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("changed by")
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{getattr(self, self.subject_field)}: {self.from_status} → {self.to_status}"
