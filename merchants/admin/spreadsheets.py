"""CSV/XLSX import and export shared by the merchants admin pages."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from core.spreadsheets import SPREADSHEET_FORMATS, BoundedExportMixin


class SpreadsheetAdminMixin(BoundedExportMixin):
    """CSV/XLSX import and export. Import needs add and change permission; export
    needs view permission (viewers export), and holds at most ``ADMIN_EXPORT_MAX_ROWS``
    rows. An import is all or nothing."""

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
