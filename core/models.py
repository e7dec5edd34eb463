"""Abstract models every app's history shares, and core's two small tables: the
outbox of tasks to send to Celery (core.outbox) and the heartbeats /healthz reads."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
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


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change that
    calls for it (core.outbox): the change and its task commit or roll back
    together, and the relay sends the row once the broker takes it."""

    task = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict, encoder=DjangoJSONEncoder)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        # The relay reads only unsent rows, oldest first: a small partial index however long the table grows.
        indexes = [models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="core_outbox_unsent")]

    def __str__(self):
        return f"{self.task} #{self.pk}"


class Heartbeat(models.Model):
    """When a periodic job last completed (the clock tick: "clock"); /healthz reports its age."""

    name = models.CharField(_("name"), max_length=50, primary_key=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name}: {self.at.isoformat()}"

    @classmethod
    def record(cls, name: str, *, at=None) -> None:
        cls.objects.update_or_create(name=name, defaults={"at": at or timezone.now()})
