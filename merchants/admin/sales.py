"""Daily sales reports: kept by the merchants, read-only here, exportable."""

from django.contrib import admin
from import_export.admin import ExportMixin

from core.admin_display import ReadOnlyAdmin
from festival.admin_scoping import ScopedAdminMixin

from ..models import SalesReport
from .spreadsheets import SPREADSHEET_FORMATS


@admin.register(SalesReport)
class SalesReportAdmin(ScopedAdminMixin, ExportMixin, ReadOnlyAdmin):
    export_formats = SPREADSHEET_FORMATS
    list_display = ("date", "merchant", "festival", "gmv", "orders", "reported_at")
    list_select_related = ("merchant", "festival")
    list_filter = ("festival",)
    search_fields = ("merchant__name",)
    date_hierarchy = "date"

    def has_export_permission(self, request):
        return self.has_view_permission(request)
