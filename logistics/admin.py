"""The Post Bureau's admin: carriers (registered by organisers), parcel reports (read
here, imported from a carrier's CSV/XLSX, each with its replaced versions), express
coverage (entered by the bureau) and the logistics dashboard.

Every page is scoped by team (issue 14) through the models' scoping selectors
(logistics/selectors.py, festival/admin_scoping.py): the national teams see every
province's data, a provincial team its own province's, read-only; carriers are a
reference table every team reads. The dashboard sums only what the user sees."""

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportModelAdmin
from import_export.forms import ConfirmImportForm, ImportForm

from core.admin_display import ReadOnlyInline
from core.pagination import EstimatedCountPaginator
from festival.admin_scoping import ScopedAdminMixin, ScopedInlineMixin
from festival.scoping import visible_festivals
from merchants.admin.spreadsheets import SpreadsheetAdminMixin

from . import selectors, services
from .dashboard import logistics_dashboard
from .models import Carrier, Coverage, ParcelReport, ParcelReportVersion
from .periods import reporting_period, shown_period
from .resources import ParcelReportResource

DASHBOARD_PERMISSION = "logistics.view_parcelreport"


@admin.register(Carrier)
class CarrierAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "uscc", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("code", "name", "name_en", "=uscc")
    fields = ("code", "name", "name_en", "uscc", "active")

    def save_model(self, request, obj, form, change):
        services.save_carrier(obj)


class CarrierChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, carrier):
        return str(carrier)


class ParcelImportForm(ImportForm):
    carrier = CarrierChoiceField(
        label=gettext_lazy("Carrier"),
        queryset=Carrier.objects.filter(active=True),
        help_text=gettext_lazy("Whose reports the file holds; a carrier column, if there is one, must name it."),
    )
    field_order = ["carrier", "resource", "import_file", "format"]


class ParcelConfirmImportForm(ConfirmImportForm):
    carrier = forms.ModelChoiceField(queryset=Carrier.objects.filter(active=True), widget=forms.HiddenInput)


class ParcelProvinceFilter(admin.RelatedFieldListFilter):
    """The provinces whose parcel data the user's teams see (a provincial team: its own)."""

    def field_choices(self, field, request, model_admin):
        provinces = selectors.parcel_provinces(request.user).values("pk")
        return field.get_choices(include_blank=False, limit_choices_to={"pk__in": provinces})


class VersionInline(ScopedInlineMixin, ReadOnlyInline):
    model = ParcelReportVersion
    fields = ("collected", "delivered", "rural_collected", "rural_delivered", "reported", "replaced")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = gettext_lazy("Replaced figures (history)")
    classes = ("history",)

    @admin.display(description=gettext_lazy("reported"))
    def reported(self, version):
        return f"{timezone.localtime(version.reported_at):%Y-%m-%d %H:%M} · {version.get_channel_display()} {version.reporter}"

    @admin.display(description=gettext_lazy("replaced"))
    def replaced(self, version):
        return (
            f"{timezone.localtime(version.replaced_at):%Y-%m-%d %H:%M} · "
            f"{version.get_replaced_through_display()} {version.replaced_by}"
        )


@admin.register(ParcelReport)
class ParcelReportAdmin(ScopedAdminMixin, SpreadsheetAdminMixin, ImportExportModelAdmin):
    """Reports are written by carriers' API calls and the bureau's imports only (each
    replacement keeps the replaced figures), so nothing is edited here."""

    paginator = EstimatedCountPaginator  # 7 carriers × 34 provinces × every day
    show_full_result_count = False
    resource_classes = [ParcelReportResource]
    import_form_class = ParcelImportForm
    confirm_form_class = ParcelConfirmImportForm
    list_display = (
        "date",
        "carrier",
        "province",
        "collected",
        "delivered",
        "rural_collected",
        "rural_delivered",
        "channel",
        "reported_at",
    )
    list_select_related = ("carrier", "province")
    list_filter = ("carrier", "channel", ("province", ParcelProvinceFilter))
    date_hierarchy = "date"
    list_per_page = 100
    fields = (
        "carrier",
        "date",
        "province",
        "collected",
        "delivered",
        "rural_collected",
        "rural_delivered",
        "channel",
        "reporter",
        "reported_at",
    )
    readonly_fields = fields
    inlines = [VersionInline]

    def has_add_permission(self, request):
        return False  # but has_import_permission asks the model permission, below

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.has_perm("logistics.change_parcelreport")

    def has_delete_permission(self, request, obj=None):
        return False

    def has_import_permission(self, request):
        return request.user.has_perm("logistics.add_parcelreport") and request.user.has_perm(
            "logistics.change_parcelreport"
        )

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        resource_kwargs.pop("form", None)
        carrier = form.cleaned_data.get("carrier") if form is not None and hasattr(form, "cleaned_data") else None
        return {**resource_kwargs, "carrier": carrier}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["carrier"] = import_form.cleaned_data["carrier"].pk
        return initial

    def import_template_view(self, request):
        """A CSV template with the Chinese column headers, one row per mainland province (UTF-8 with BOM, for Excel)."""
        from festival.models import Province

        if not self.has_import_permission(request):
            raise PermissionDenied
        headers = ParcelReportResource.chinese_headers()
        del headers["carrier"]
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="parcel-reports-template.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(headers.values())
        day = timezone.localdate().isoformat()
        for code in Province.objects.filter(code__lt="700000").values_list("code", flat=True):
            writer.writerow([day, code, "", "", "", ""])
        return response

    def get_urls(self):
        return [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="logistics_dashboard"),
            path(
                "dashboard/<int:festival_id>/",
                self.admin_site.admin_view(self.dashboard_view),
                name="logistics_dashboard_festival",
            ),
            path(
                "import-template/",
                self.admin_site.admin_view(self.import_template_view),
                name="logistics_parcelreport_import_template",
            ),
            *super().get_urls(),
        ]

    def dashboard_view(self, request, festival_id=None):
        if not request.user.has_perm(DASHBOARD_PERMISSION):
            raise PermissionDenied
        seen = visible_festivals(request.user)
        festivals = list(seen.only("pk", "name", "name_en", "starts_at", "ends_at", "time_zone").order_by("-starts_at"))
        if festival_id is not None:
            festival = get_object_or_404(seen, pk=festival_id)
        else:
            festival = _festival_with_reports(festivals, selectors.visible_parcel_reports(request.user))
            if festival is None:
                messages.info(request, _("There is no festival yet; its logistics dashboard appears once there is."))
                return HttpResponseRedirect(reverse("admin:index"))
        dashboard = logistics_dashboard(festival, user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Logistics: %(festival)s") % {"festival": festival},
            "festival": festival,
            "festivals": festivals,
            "dashboard": dashboard,
            "charts": dashboard.charts(),
            "opts": self.opts,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/logistics/dashboard.html", context)


def _festival_with_reports(festivals, reports):
    """The festival of the latest parcel report the user sees (the one with figures to see), else
    the latest festival that has begun, else the next one."""
    latest = reports.aggregate(day=Max("date"))["day"]
    if latest is not None:
        # The days the dashboard shows (the baseline and the festival) first, then the wider reporting window.
        for period in (shown_period, reporting_period):
            for festival in festivals:  # newest first
                if latest in period(festival):
                    return festival
    now = timezone.now()
    begun = [f for f in festivals if f.starts_at <= now]
    return begun[0] if begun else (festivals[-1] if festivals else None)


@admin.register(Coverage)
class CoverageAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "province",
        "date",
        "townships_served",
        "townships",
        "townships_share_display",
        "villages_served",
        "villages",
        "villages_share_display",
        "updated_by",
    )
    list_select_related = ("province", "updated_by")
    list_filter = ("date",)
    search_fields = ("province__name", "province__name_en", "=province__code")
    date_hierarchy = "date"
    fields = ("province", "date", "townships_served", "townships", "villages_served", "villages")

    @admin.display(description=gettext_lazy("townships served (%)"))
    def townships_share_display(self, coverage):
        share = coverage.townships_share
        return "—" if share is None else f"{share}%"

    @admin.display(description=gettext_lazy("villages served (%)"))
    def villages_share_display(self, coverage):
        share = coverage.villages_share
        return "—" if share is None else f"{share}%"

    def save_model(self, request, obj, form, change):
        services.save_coverage(obj, by=request.user)
