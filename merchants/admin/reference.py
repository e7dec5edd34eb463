"""The China Time-honoured Brands list (中华老字号名录): its import/export page, and
how a merchant's match on the list is shown on the other admin pages."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from import_export.admin import ImportExportModelAdmin

from festival.admin_scoping import ScopedAdminMixin

from ..models import TimeHonouredBrand
from ..reference import time_honoured_matches
from ..resources import TimeHonouredBrandResource
from .spreadsheets import SpreadsheetAdminMixin


def time_honoured_match_html(merchant):
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
class TimeHonouredBrandAdmin(ScopedAdminMixin, SpreadsheetAdminMixin, ImportExportModelAdmin):
    resource_classes = [TimeHonouredBrandResource]
    list_display = ("brand", "company", "region", "batch")
    list_filter = ("batch", "region")
    search_fields = ("brand", "company")
