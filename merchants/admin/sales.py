"""Daily sales reports: kept by the merchants, read-only here, exportable."""

from django.contrib import admin
from import_export.admin import ExportMixin

from core.admin_display import ReadOnlyAdmin
from festival.admin_scoping import ScopedAdminMixin

from ..models import SalesReport
from .spreadsheets import SPREADSHEET_FORMATS, BoundedExportMixin


@admin.register(SalesReport)
class SalesReportAdmin(ScopedAdminMixin, BoundedExportMixin, ExportMixin, ReadOnlyAdmin):
    export_formats = SPREADSHEET_FORMATS
    list_display = ("date", "merchant", "festival", "gmv", "orders", "reported_at")
    list_select_related = ("merchant", "festival")
    # A date filter, not date_hierarchy: the hierarchy reads every row's date to draw its
    # links (1.7 s over millions of rows, issue 17); the filter's choices are fixed.
    list_filter = ("festival", "date")
    search_fields = ("merchant__name",)

    def has_export_permission(self, request):
        return self.has_view_permission(request)
