"""The organisers' back office for merchants: registration and spreadsheet
import, staff invitations, certificates and participations with their decisions."""

import mimetypes

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ExportMixin, ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from core.admin_decisions import NOTE_OPTIONAL, NOTE_REQUIRED, Decision, DecisionAdminMixin
from core.admin_display import ReadOnlyAdmin, ReadOnlyInline, StatusHistoryInline, badge, festival_time
from core.images import sanitise_image
from core.workflow import DomainError
from festival.models import Category

from . import services
from .models import (
    CERTIFICATE_TRANSITIONS,
    PARTICIPATION_TRANSITIONS,
    Certificate,
    CertificateEvent,
    CertificateStatus,
    Membership,
    MembershipRole,
    Merchant,
    Participation,
    ParticipationEvent,
    ParticipationStatus,
    PricePoint,
    Product,
    SalesReport,
    TimeHonouredBrand,
)
from .reference import claims_time_honoured, on_time_honoured_list, time_honoured_matches
from .resources import MerchantResource, TimeHonouredBrandResource

SPREADSHEET_FORMATS = [CSV, XLSX]


class SpreadsheetAdminMixin:
    """CSV/XLSX import and export. Import needs add and change permission; export
    needs view permission (viewers export). An import is all or nothing."""

    import_formats = SPREADSHEET_FORMATS
    export_formats = SPREADSHEET_FORMATS
    import_error_display = ("message",)
    import_template_name = "admin/festival/import.html"

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # Something changed between the preview and the confirmation; the
            # transaction was rolled back, so nothing was saved.
            messages.error(request, _("The import was cancelled: some rows are no longer valid. Nothing was saved."))
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import", current_app=self.admin_site.name)
            )
        return super().process_result(result, request)


# Merchants ---------------------------------------------------------------


class CategoryFilter(admin.SimpleListFilter):
    """Merchants (or, in a subclass, participations) by a category claimed in any participation."""

    title = gettext_lazy("claimed category")
    parameter_name = "category"
    claim_owner = "participation__merchant"  # the claim's path to the filtered row

    def lookups(self, request, model_admin):
        return [(c.pk, str(c)) for c in Category.objects.select_related("parent")]

    def queryset(self, request, queryset):
        if self.value():
            claims = Participation.categories.through.objects.filter(
                **{self.claim_owner: OuterRef("pk")}, category_id=self.value()
            )
            return queryset.filter(Exists(claims))
        return queryset


class ParticipationStatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("participation status")
    parameter_name = "participation_status"

    def lookups(self, request, model_admin):
        return ParticipationStatus.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(Exists(Participation.objects.filter(merchant=OuterRef("pk"), status=self.value())))
        return queryset


class CertificateStatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("certificate status")
    parameter_name = "certificate_status"

    def lookups(self, request, model_admin):
        return [*CertificateStatus.choices, ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        if self.value() == "expired":
            certificates = Certificate.objects.filter(valid_until__lt=timezone.localdate())
        elif self.value():
            certificates = Certificate.objects.filter(status=self.value())
        else:
            return queryset
        return queryset.filter(Exists(certificates.filter(merchant=OuterRef("pk"))))


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ("user", "role", "invited_by", "created_at")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = gettext_lazy("People (memberships)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "invited_by")


class ParticipationInline(ReadOnlyInline):
    model = Participation
    fields = ("festival", "status", "applied_at", "decided_at", "decision_note")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("festival")


class CertificateInline(ReadOnlyInline):
    model = Certificate
    fields = ("kind", "number", "issuer", "valid_from", "valid_until", "validity", "status")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("validity"))
    def validity(self, certificate):
        return _certificate_validity(certificate)


class ProductInline(ReadOnlyInline):
    model = Product
    fields = ("sku", "name", "category", "unit")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category__parent")


def _formfield_https(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class MerchantAdminForm(forms.ModelForm):
    class Meta:
        model = Merchant
        formfield_callback = _formfield_https
        fields = (
            "name",
            "legal_name",
            "uscc",
            "uscc_override_reason",
            "kind",
            "country",
            "website",
            "logo",
            "contact_name",
            "contact_email",
            "contact_phone",
        )
        widgets = {"uscc_override_reason": forms.Textarea(attrs={"rows": 3})}

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and logo is not getattr(self.instance, "logo", None) and hasattr(logo, "content_type"):
            return sanitise_image(logo)  # a new upload: checked and re-encoded, metadata dropped
        return logo


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email address"))
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=MembershipRole.choices, initial=MembershipRole.STAFF)


@admin.register(Merchant)
class MerchantAdmin(SpreadsheetAdminMixin, ImportExportModelAdmin):
    resource_classes = [MerchantResource]
    form = MerchantAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_form_template = "admin/merchants/merchant/change_form.html"
    list_display = ("name", "uscc_display", "kind", "country", "participations_display", "contact_email")
    list_filter = ("kind", "country", CategoryFilter, ParticipationStatusFilter, CertificateStatusFilter)
    search_fields = ("name", "legal_name", "=uscc")
    list_per_page = 50
    inlines = [MembershipInline, ParticipationInline, CertificateInline, ProductInline]
    readonly_fields = ("uscc_override_display", "time_honoured_match", "created_at", "updated_at")

    def get_fieldsets(self, request, obj=None):
        identity = ["name", "legal_name", "uscc"]
        if request.user.has_perm("merchants.override_uscc_check"):
            identity.append("uscc_override_reason")
        identity.append("uscc_override_display")
        fieldsets = [
            (None, {"fields": identity}),
            (_("Profile"), {"fields": ["kind", "country", "website", "logo"]}),
            (_("Contact"), {"fields": ["contact_name", "contact_email", "contact_phone"]}),
        ]
        if obj is not None:
            fieldsets.append((_("China Time-honoured Brands list"), {"fields": ["time_honoured_match"]}))
            fieldsets.append((_("Record"), {"fields": ["created_at", "updated_at"]}))
        return fieldsets

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                applied_count=Count("participations", filter=Q(participations__status=ParticipationStatus.APPLIED)),
                approved_count=Count("participations", filter=Q(participations__status=ParticipationStatus.APPROVED)),
            )
        )

    @admin.display(description=gettext_lazy("USCC"), ordering="uscc")
    def uscc_display(self, merchant):
        if merchant.uscc_override_reason:
            return format_html(
                "{} {}",
                merchant.uscc or "—",
                badge("override", _("check overridden"), merchant.uscc_override_reason),
            )
        return merchant.uscc or "—"

    @admin.display(description=gettext_lazy("participations"))
    def participations_display(self, merchant):
        parts = []
        if merchant.approved_count:
            parts.append(badge("approved", _("%(n)d approved") % {"n": merchant.approved_count}))
        if merchant.applied_count:
            parts.append(badge("applied", _("%(n)d applied") % {"n": merchant.applied_count}))
        return format_html_join(" ", "{}", ((p,) for p in parts)) or "—"

    @admin.display(description=gettext_lazy("USCC check override"))
    def uscc_override_display(self, merchant):
        if not merchant.pk or not merchant.uscc_override_reason:
            return _("No override: the code passes its check.") if merchant.pk else "—"
        return format_html(
            "{} {}<br>{}",
            badge("override", _("check overridden")),
            _("by %(user)s at %(when)s")
            % {
                "user": merchant.uscc_override_by or _("unknown"),
                "when": f"{timezone.localtime(merchant.uscc_override_at):%Y-%m-%d %H:%M}"
                if merchant.uscc_override_at
                else "—",
            },
            merchant.uscc_override_reason,
        )

    @admin.display(description=gettext_lazy("match on the official list"))
    def time_honoured_match(self, merchant):
        return _time_honoured_match_html(merchant)

    def save_model(self, request, obj, form, change):
        # The form already validated; the service records a USCC override (who, when).
        services.save_merchant(obj, by=request.user)

    # Invitations ------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/invite/",
                self.admin_site.admin_view(self.invite_view),
                name="merchants_merchant_invite",
            ),
            *super().get_urls(),
        ]

    def has_invite_permission(self, request):
        return request.user.has_perm("merchants.add_membership") and request.user.has_perm("auth.add_user")

    def invite_view(self, request, object_id):
        if not self.has_invite_permission(request):
            raise PermissionDenied
        merchant = get_object_or_404(Merchant, pk=unquote(object_id))
        form = InviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                membership = services.invite_member(
                    merchant, email=form.cleaned_data["email"], role=form.cleaned_data["role"], by=request.user
                )
            except DomainError as error:
                form.add_error("email", error.message)
            else:
                messages.success(
                    request,
                    _("%(email)s was invited to %(merchant)s; an account-setup link was emailed.")
                    % {"email": membership.user.email, "merchant": merchant},
                )
                return HttpResponseRedirect(reverse("admin:merchants_merchant_change", args=[merchant.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Invite staff of %(merchant)s") % {"merchant": merchant},
            "opts": self.opts,
            "original": merchant,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/merchants/merchant/invite.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_invite": self.has_invite_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)


def _time_honoured_match_html(merchant):
    matches = list(time_honoured_matches(merchant)[:5])
    if not matches:
        return format_html('<span class="time-honoured-missing">{}</span>', _("Not on the official list."))
    return format_html(
        '<span class="time-honoured-match">{}</span><ul>{}</ul>',
        _("On the official list:"),
        format_html_join(
            "",
            "<li>{} — {} ({} {})</li>",
            ((m.brand, m.company, m.region, m.batch) for m in matches),
        ),
    )


@admin.register(TimeHonouredBrand)
class TimeHonouredBrandAdmin(SpreadsheetAdminMixin, ImportExportModelAdmin):
    resource_classes = [TimeHonouredBrandResource]
    list_display = ("brand", "company", "region", "batch")
    list_filter = ("batch", "region")
    search_fields = ("brand", "company")


# Certificates ------------------------------------------------------------


def _certificate_validity(certificate):
    if certificate.is_expired():
        return badge("expired", _("expired %(date)s") % {"date": certificate.valid_until})
    return _("until %(date)s") % {"date": certificate.valid_until}


def _verify_certificate(certificate, *, by, note):
    return services.verify_certificate(certificate, by=by, note=note)


def _reject_certificate(certificate, *, by, note):
    return services.reject_certificate(certificate, by=by, reason=note)


class CertificateEventInline(StatusHistoryInline):
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
class CertificateAdmin(DecisionAdminMixin, admin.ModelAdmin):
    """Certificates are uploaded by merchants; organisers verify or reject them."""

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
        return _certificate_validity(certificate)

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
        certificate = get_object_or_404(Certificate, pk=unquote(object_id))
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
        return _time_honoured_match_html(certificate.merchant)

    def decision_row(self, certificate):
        row = super().decision_row(certificate)
        row["details"] = format_html(
            "{} · {} · {}", certificate.merchant, certificate.get_kind_display(), _certificate_validity(certificate)
        )
        return row

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("merchant", "reviewed_by")


# Participations ------------------------------------------------------------


def _approve_participation(participation, *, by, note):
    return services.approve_participation(participation, by=by, note=note)


def _reject_participation(participation, *, by, note):
    return services.reject_participation(participation, by=by, reason=note)


class ParticipationEventInline(StatusHistoryInline):
    model = ParticipationEvent


class ParticipationCategoryFilter(CategoryFilter):
    claim_owner = "participation_id"


@admin.register(Participation)
class ParticipationAdmin(DecisionAdminMixin, ExportMixin, admin.ModelAdmin):
    decisions = (
        Decision(
            name="approve",
            label=gettext_lazy("Approve"),
            done_message=gettext_lazy("%(object)s was approved."),
            permission="merchants.review_participation",
            perform=_approve_participation,
            transitions=PARTICIPATION_TRANSITIONS,
            target_status=ParticipationStatus.APPROVED,
            note=NOTE_OPTIONAL,
        ),
        Decision(
            name="reject",
            label=gettext_lazy("Reject"),
            done_message=gettext_lazy("%(object)s was rejected."),
            permission="merchants.review_participation",
            perform=_reject_participation,
            transitions=PARTICIPATION_TRANSITIONS,
            target_status=ParticipationStatus.REJECTED,
            note=NOTE_REQUIRED,
            note_label=gettext_lazy("Reason"),
            note_help=gettext_lazy("The merchant reads this reason."),
        ),
    )
    export_formats = SPREADSHEET_FORMATS
    list_display = (
        "merchant",
        "festival",
        "status_display",
        "merchant_kind",
        "categories_display",
        "time_honoured_display",
        "applied_local",
    )
    list_filter = ("status", "festival", "merchant__kind", ParticipationCategoryFilter)
    list_select_related = ("merchant", "festival")
    search_fields = ("merchant__name", "=merchant__uscc")
    readonly_fields = (
        "merchant",
        "festival",
        "status_display",
        "categories_display",
        "time_honoured_match",
        "applied_local",
        "decided_local",
        "decided_by",
        "decision_note",
    )
    fields = readonly_fields
    inlines = [ParticipationEventInline]

    def has_add_permission(self, request):
        return False  # merchants apply in their portal

    def has_change_permission(self, request, obj=None):
        return False  # decisions only

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("merchant", "festival", "decided_by")
            .prefetch_related("categories")
            .annotate(claims_time_honoured=claims_time_honoured(), on_time_honoured_list=on_time_honoured_list())
        )

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, participation):
        return badge(participation.status, participation.get_status_display())

    @admin.display(description=gettext_lazy("kind"), ordering="merchant__kind")
    def merchant_kind(self, participation):
        return participation.merchant.get_kind_display()

    @admin.display(description=gettext_lazy("categories"))
    def categories_display(self, participation):
        return ", ".join(c.name for c in participation.categories.all()) or "—"

    @admin.display(description=gettext_lazy("time-honoured list"))
    def time_honoured_display(self, participation):
        if not getattr(participation, "claims_time_honoured", False):
            return "—"
        if participation.on_time_honoured_list:
            return badge("pass", _("on the list"))
        return badge("warning", _("not found"), _("Claims the time-honoured category but is not on the official list."))

    @admin.display(description=gettext_lazy("match on the official list"))
    def time_honoured_match(self, participation):
        if not getattr(participation, "claims_time_honoured", False):
            return _("Does not claim the time-honoured category.")
        return _time_honoured_match_html(participation.merchant)

    @admin.display(description=gettext_lazy("applied (festival time)"), ordering="applied_at")
    def applied_local(self, participation):
        return festival_time(participation.festival, participation.applied_at)

    @admin.display(description=gettext_lazy("decided (festival time)"))
    def decided_local(self, participation):
        return festival_time(participation.festival, participation.decided_at)

    def decision_row(self, participation):
        row = super().decision_row(participation)
        row["details"] = self.categories_display(participation)
        return row


# Products, prices, sales, memberships (records kept by the merchants) -------


@admin.register(Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ("sku", "name", "merchant", "category", "unit")
    list_select_related = ("merchant", "category__parent")
    list_filter = ("category",)
    search_fields = ("sku", "name", "merchant__name")


@admin.register(PricePoint)
class PricePointAdmin(ReadOnlyAdmin):
    """Price history is the evidence behind the honest-price check: never edited here."""

    list_display = ("product", "merchant", "price", "recorded_at", "source")
    list_select_related = ("product__merchant",)
    list_filter = ("source",)
    search_fields = ("product__sku", "product__merchant__name")
    date_hierarchy = "recorded_at"

    @admin.display(description=gettext_lazy("merchant"))
    def merchant(self, point):
        return point.product.merchant


@admin.register(SalesReport)
class SalesReportAdmin(ExportMixin, ReadOnlyAdmin):
    export_formats = SPREADSHEET_FORMATS
    list_display = ("date", "merchant", "festival", "gmv", "orders", "reported_at")
    list_select_related = ("merchant", "festival")
    list_filter = ("festival",)
    search_fields = ("merchant__name",)
    date_hierarchy = "date"

    def has_export_permission(self, request):
        return self.has_view_permission(request)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "merchant", "role", "invited_by", "created_at")
    list_select_related = ("user", "merchant", "invited_by")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email", "merchant__name")
    raw_id_fields = ("user", "merchant", "invited_by")
