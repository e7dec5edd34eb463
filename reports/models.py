"""Consumers' reports of trick pricing, their evidence and the record of every status change."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.images import random_upload_path
from core.models import StatusChange
from merchants.models import Merchant
from promotions.models import Promotion, PromotionItem

from .storage import private_storage

CODE_BYTES = 24  # token_urlsafe(24) gives 32 characters


def new_tracking_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


class ReportReason(models.TextChoices):
    NOT_HIGHER_BEFORE = "not_higher_before", _("The price before was not higher")
    RAISED_BEFORE = "raised_before", _("The price was raised before the discount")
    CHECKOUT_DIFFERS = "checkout_differs", _("The price at checkout differs")
    TERMS_NOT_HONOURED = "terms_not_honoured", _("The promotion's terms were not honoured")
    OTHER = "other", _("Other")


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    UNDER_REVIEW = "under_review", _("Under review")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class Finding(models.TextChoices):
    SUPPORTED = "supported", _("Supported by the records")
    CONTRADICTED = "contradicted", _("Contradicted by the records")
    UNDECIDABLE = "undecidable", _("Not decidable from the records")


S = ReportStatus
# The single source of truth for report status changes.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.UNDER_REVIEW}),
    S.UNDER_REVIEW: frozenset({S.UPHELD, S.DISMISSED}),
    S.UPHELD: frozenset(),
    S.DISMISSED: frozenset(),
}
OPEN_STATUSES = frozenset({S.RECEIVED, S.UNDER_REVIEW})
DECIDED_STATUSES = frozenset({S.UPHELD, S.DISMISSED})


class PriceReport(models.Model):
    """One consumer's report that an item's discount is not what it claims."""

    code = models.CharField(_("tracking code"), max_length=64, unique=True, default=new_tracking_code, editable=False)
    item = models.ForeignKey(
        PromotionItem, on_delete=models.PROTECT, related_name="reports", verbose_name=_("promotion item")
    )
    # Copies of the item's promotion and merchant, for the queue's counts and the portal.
    promotion = models.ForeignKey(
        Promotion, on_delete=models.PROTECT, related_name="reports", verbose_name=_("promotion")
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="reports", verbose_name=_("merchant"))
    reason = models.CharField(_("what is wrong"), max_length=30, choices=ReportReason.choices)
    seen_price = models.DecimalField(_("price seen"), max_digits=12, decimal_places=2)
    seen_at = models.DateTimeField(_("seen at"))
    description = models.TextField(_("description"), max_length=2000, blank=True)
    email = models.EmailField(_("email"), blank=True)
    screenshot = models.ImageField(_("screenshot"), upload_to=random_upload_path, storage=private_storage, blank=True)
    ip_hash = models.CharField(_("IP hash"), max_length=64, blank=True, editable=False)
    evidence = models.JSONField(_("evidence"), default=dict, editable=False)
    proposed_finding = models.CharField(
        _("proposed finding"), max_length=20, choices=Finding.choices, default=Finding.UNDECIDABLE
    )
    merged_count = models.PositiveIntegerField(_("merged duplicates"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=ReportStatus.choices, default=S.RECEIVED)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    cancellation_requested = models.BooleanField(_("cancellation requested"), default=False)
    merchant_warned = models.BooleanField(_("merchant warned"), default=False)
    merchant_answer = models.TextField(_("merchant's answer"), max_length=2000, blank=True)
    merchant_answered_at = models.DateTimeField(_("merchant answered"), null=True, blank=True)
    created_at = models.DateTimeField(_("filed"), db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("price report")
        verbose_name_plural = _("price reports")
        permissions = [("decide_report", _("Can decide consumer reports"))]
        indexes = [
            models.Index(fields=["status", "created_at"], name="report_status_created"),
            models.Index(fields=["item", "email", "created_at"], name="report_item_email"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_reason_display()}"

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_decided(self):
        return self.status in DECIDED_STATUSES


class ReportEvent(StatusChange):
    """One status change of a report: who, when, from, to and why."""

    subject_field = "report"

    report = models.ForeignKey(PriceReport, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from status"), max_length=20, choices=ReportStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=ReportStatus.choices)

    class Meta(StatusChange.Meta):
        verbose_name = _("report status change")
        verbose_name_plural = _("report status changes")
