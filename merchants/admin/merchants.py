"""Merchants: registration, spreadsheet import/export, the list filters and
inlines of the merchant page, and staff invitations."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import connections, models
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportModelAdmin

from core.admin_display import ReadOnlyInline, badge
from core.images import sanitise_image
from core.pagination import EstimatedCountPaginator
from core.workflow import DomainError
from festival import scoping
from festival.admin_scoping import ScopedAdminMixin, ScopedInlineMixin
from festival.models import Category

from .. import services
from ..models import (
    Certificate,
    CertificateStatus,
    Membership,
    MembershipRole,
    Merchant,
    Participation,
    ParticipationStatus,
    Product,
)
from ..resources import MerchantResource
from .certificates import certificate_validity
from .reference import time_honoured_match_html
from .spreadsheets import SpreadsheetAdminMixin


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


class CountryFilter(admin.SimpleListFilter):
    """Merchants by country. The choices are the countries in use, read by a loose index scan (one
    probe of the country index per country) instead of Django's ``SELECT DISTINCT`` over every
    merchant, which grows with the merchants (19 ms at 100,000). They are every merchant's
    countries, not only those the user's teams see: a country code says nothing of a merchant."""

    title = gettext_lazy("country")
    parameter_name = "country__exact"  # the address the field's own filter had

    def lookups(self, request, model_admin):
        return [(code, code) for code in countries_in_use()]

    def queryset(self, request, queryset):
        return queryset.filter(country=self.value()) if self.value() else queryset


def countries_in_use() -> list[str]:
    connection = connections[Merchant.objects.db]
    table = connection.ops.quote_name(Merchant._meta.db_table)
    column = connection.ops.quote_name(Merchant._meta.get_field("country").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE countries(code) AS (SELECT MIN({column}) FROM {table} UNION ALL "
            f"SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > code) FROM countries WHERE code IS NOT NULL) "
            "SELECT code FROM countries WHERE code IS NOT NULL"
        )
        return [code for (code,) in cursor.fetchall()]


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


class MembershipInline(ScopedInlineMixin, ReadOnlyInline):
    model = Membership
    fields = ("user", "role", "invited_by", "created_at")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = gettext_lazy("People (memberships)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "invited_by")


class ParticipationInline(ScopedInlineMixin, ReadOnlyInline):
    model = Participation
    fields = ("festival", "status", "applied_at", "decided_at", "decision_note")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("festival")


class CertificateInline(ScopedInlineMixin, ReadOnlyInline):
    model = Certificate
    fields = ("kind", "number", "issuer", "valid_from", "valid_until", "validity", "status")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("validity"))
    def validity(self, certificate):
        return certificate_validity(certificate)


class ProductInline(ScopedInlineMixin, ReadOnlyInline):
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
            "province",
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
class MerchantAdmin(ScopedAdminMixin, SpreadsheetAdminMixin, ImportExportModelAdmin):
    paginator = EstimatedCountPaginator  # exact while small, estimated at national size
    show_full_result_count = False
    resource_classes = [MerchantResource]
    form = MerchantAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_form_template = "admin/merchants/merchant/change_form.html"
    list_display = ("name", "uscc_display", "kind", "country", "province", "participations_display", "contact_email")
    list_filter = (
        "kind",
        CountryFilter,
        "province",
        CategoryFilter,
        ParticipationStatusFilter,
        CertificateStatusFilter,
    )
    list_select_related = ("province",)
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
            (_("Profile"), {"fields": ["kind", "country", "province", "website", "logo"]}),
            (_("Contact"), {"fields": ["contact_name", "contact_email", "contact_phone"]}),
        ]
        if obj is not None:
            fieldsets.append((_("China Time-honoured Brands list"), {"fields": ["time_honoured_match"]}))
            fieldsets.append((_("Record"), {"fields": ["created_at", "updated_at"]}))
        return fieldsets

    def get_queryset(self, request):
        # Counted in the festivals the user sees only: another team's participations stay unseen.
        # One subquery per shown row, not a join that groups every merchant's participations
        # before the page is cut: the page costs the same at 1,000 merchants or 100,000.
        seen = scoping.festival_q(request.user, field="festival") or Q()

        def counted(status):
            rows = (
                Participation.objects.filter(seen, merchant=OuterRef("pk"), status=status)
                .order_by()
                .values("merchant")
                .annotate(n=Count("pk"))
                .values("n")
            )
            return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)

        return (
            super()
            .get_queryset(request)
            .annotate(
                applied_count=counted(ParticipationStatus.APPLIED),
                approved_count=counted(ParticipationStatus.APPROVED),
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
        return time_honoured_match_html(merchant)

    def save_model(self, request, obj, form, change):
        # The form already validated; the service records a USCC override (who, when).
        services.save_merchant(obj, by=request.user)

    # Invitations ------------------------------------------------------

    def import_template_view(self, request):
        """A CSV template with the Chinese column headers and one example row (UTF-8 with BOM, for Excel)."""
        import csv

        from django.http import HttpResponse

        from ..uscc import make_uscc

        if not self.has_import_permission(request):
            raise PermissionDenied
        headers = MerchantResource.chinese_headers()
        example = {
            "uscc": make_uscc("91110108MA01AAAA1"),
            "name": "稻香村",
            "kind": "品牌企业",
            "country": "CN",
        }
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="merchants-template.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(headers.values())
        writer.writerow([example.get(name, "") for name in headers])
        return response

    def get_urls(self):
        return [
            path(
                "import-template/",
                self.admin_site.admin_view(self.import_template_view),
                name="merchants_merchant_import_template",
            ),
            path(
                "<path:object_id>/invite/",
                self.admin_site.admin_view(self.invite_view),
                name="merchants_merchant_invite",
            ),
            *super().get_urls(),
        ]

    def has_invite_permission(self, request, merchant=None):
        # Inviting makes the person's account: adding a membership of a merchant the user's team sees is enough.
        if merchant is not None:
            return request.user.has_perm("merchants.add_membership", merchant) or request.user.is_superuser
        return request.user.has_perm("merchants.add_membership")

    def invite_view(self, request, object_id):
        merchant = get_object_or_404(self.get_queryset(request), pk=unquote(object_id))
        if not self.has_invite_permission(request, merchant):
            raise PermissionDenied
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
