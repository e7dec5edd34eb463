"""Certificates: merchants upload them, organisers verify or reject them; the
scans are served only through the admin."""

import mimetypes

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_decisions import NOTE_OPTIONAL, NOTE_REQUIRED, Decision, DecisionAdminMixin
from core.admin_display import StatusHistoryInline, badge
from core.pagination import EstimatedCountPaginator
from festival.admin_scoping import ScopedAdminMixin, ScopedInlineMixin

from .. import services
from ..models import CERTIFICATE_TRANSITIONS, Certificate, CertificateEvent, CertificateStatus
from .reference import time_honoured_match_html


def certificate_validity(certificate):
    if certificate.is_expired():
        return badge("expired", _("expired %(date)s") % {"date": certificate.valid_until})
    return _("until %(date)s") % {"date": certificate.valid_until}


def _verify_certificate(certificate, *, by, note):
    return services.verify_certificate(certificate, by=by, note=note)


def _reject_certificate(certificate, *, by, note):
    return services.reject_certificate(certificate, by=by, reason=note)


class CertificateEventInline(ScopedInlineMixin, StatusHistoryInline):
    model = CertificateEvent


class ExpiryFilter(admin.SimpleListFilter):
    title = gettext_lazy("validity")
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [("valid", _("Valid today")), ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "expired":
            return queryset.filter(valid_until__lt=today)
        if self.value() == "valid":
            return queryset.filter(valid_from__lte=today, valid_until__gte=today)
        return queryset


@admin.register(Certificate)
class CertificateAdmin(ScopedAdminMixin, DecisionAdminMixin, admin.ModelAdmin):
    """Certificates are uploaded by merchants; organisers verify or reject them."""

    paginator = EstimatedCountPaginator  # exact while small, estimated at national size
    show_full_result_count = False

    decisions = (
        Decision(
            name="verify",
            label=gettext_lazy("Verify"),
            done_message=gettext_lazy("The certificate %(object)s was verified."),
            permission="merchants.verify_certificate",
            perform=_verify_certificate,
            transitions=CERTIFICATE_TRANSITIONS,
            target_status=CertificateStatus.VERIFIED,
            note=NOTE_OPTIONAL,
        ),
        Decision(
            name="reject",
            label=gettext_lazy("Reject"),
            done_message=gettext_lazy("The certificate %(object)s was rejected."),
            permission="merchants.verify_certificate",
            perform=_reject_certificate,
            transitions=CERTIFICATE_TRANSITIONS,
            target_status=CertificateStatus.REJECTED,
            note=NOTE_REQUIRED,
            note_label=gettext_lazy("Reason"),
            note_help=gettext_lazy("The merchant reads this reason."),
        ),
    )
    list_display = ("__str__", "merchant", "kind", "issuer", "validity", "status_display", "document_link")
    list_filter = ("status", "kind", ExpiryFilter)
    list_select_related = ("merchant",)
    search_fields = ("number", "merchant__name", "=merchant__uscc")
    readonly_fields = (
        "merchant",
        "kind",
        "number",
        "issuer",
        "valid_from",
        "valid_until",
        "validity",
        "status_display",
        "document_preview",
        "reviewed_at",
        "reviewed_by",
        "review_note",
        "time_honoured_match",
    )
    inlines = [CertificateEventInline]

    def get_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is None or obj.kind != "time_honoured":
            fields.remove("time_honoured_match")
        return fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # decisions only, through the buttons and actions

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, certificate):
        return badge(certificate.status, certificate.get_status_display())

    @admin.display(description=gettext_lazy("validity"), ordering="valid_until")
    def validity(self, certificate):
        return certificate_validity(certificate)

    # Scans are business documents: they are served only to staff who may
    # view certificates, through the admin, never from a public media URL.

    def get_urls(self):
        return [
            path(
                "<path:object_id>/document/<slug:variant>/",
                self.admin_site.admin_view(self.document_view),
                name="merchants_certificate_document",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request, object_id, variant):
        certificate = get_object_or_404(self.get_queryset(request), pk=unquote(object_id))
        if not self.has_view_permission(request, certificate):
            raise PermissionDenied
        document = certificate.document_thumbnail if variant == "thumbnail" else certificate.document
        if variant not in ("full", "thumbnail") or not document:
            raise Http404
        try:
            handle = document.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle, content_type=mimetypes.guess_type(document.name)[0] or "application/octet-stream"
        )
        response["Cache-Control"] = "private, max-age=300"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def _document_url(self, certificate, variant):
        return reverse("admin:merchants_certificate_document", args=[certificate.pk, variant])

    @admin.display(description=gettext_lazy("scan"))
    def document_link(self, certificate):
        if not certificate.document:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', self._document_url(certificate, "full"), _("open")
        )

    @admin.display(description=gettext_lazy("scanned document"))
    def document_preview(self, certificate):
        if not certificate.document:
            return _("No scan uploaded.")
        variant = "thumbnail" if certificate.document_thumbnail else "full"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" class="document-thumbnail" alt="{}"></a>',
            self._document_url(certificate, "full"),
            self._document_url(certificate, variant),
            _("scanned document"),
        )

    @admin.display(description=gettext_lazy("match on the official list"))
    def time_honoured_match(self, certificate):
        return time_honoured_match_html(certificate.merchant)

    def decision_row(self, certificate):
        row = super().decision_row(certificate)
        row["details"] = format_html(
            "{} · {} · {}", certificate.merchant, certificate.get_kind_display(), certificate_validity(certificate)
        )
        return row

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("merchant", "reviewed_by")
