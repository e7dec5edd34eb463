"""The organisers' back office: festival editions, organisers, categories and results."""

import zoneinfo

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin_display import ReadOnlyAdmin, StatusHistoryInline, festival_time, status_badge

from .models import Category, DailyResult, Festival, FestivalEvent, Organiser, Province, SentNotification

admin.site.site_header = _("Festival desk back office")
admin.site.site_title = _("Festival desk")
admin.site.index_title = _("Organisers' back office")
admin.site.index_template = "admin/festival/index.html"


@admin.register(Organiser)
class OrganiserAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "short_name")
    search_fields = ("name", "name_en", "short_name")


class FestivalEventInline(StatusHistoryInline):
    model = FestivalEvent

    @admin.display(description=_("when (festival time)"))
    def when(self, event):
        return festival_time(event.festival, event.created_at)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("festival")


@admin.register(Festival)
class FestivalAdmin(admin.ModelAdmin):
    """Editions with their windows and honesty rules.

    The change page shows and reads every date and time in the festival's own
    time zone, whatever the organiser's browser or the server uses.
    """

    list_display = (
        "name",
        "edition",
        "status_badge",
        "registration_local",
        "submission_deadline_local",
        "window_local",
        "time_zone",
        "dashboard_link",
    )
    list_filter = ("status",)
    search_fields = ("name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    filter_horizontal = ("organisers",)
    readonly_fields = ("status", "opened_at_local", "closed_at_local", "window_summary")
    inlines = [FestivalEventInline]
    fieldsets = (
        (None, {"fields": ("name", "name_en", "slug", "edition", "organisers", "description")}),
        (
            _("Windows"),
            {
                "fields": (
                    "time_zone",
                    "window_summary",
                    "registration_opens_at",
                    "registration_closes_at",
                    "submission_deadline",
                    "starts_at",
                    "ends_at",
                ),
                "description": _(
                    "Dates and times are in the festival's time zone. Registration opens before the window, "
                    "the submission deadline is before the start, and the festival ends after it starts."
                ),
            },
        ),
        (
            _("Honesty rules"),
            {
                "fields": (
                    "price_lookback_days",
                    "min_discount_percent",
                    "raise_lookback_days",
                    "raise_tolerance_percent",
                    "stacking_order",
                    "stackable_kinds",
                )
            },
        ),
        (_("Status (moved by the festival clock)"), {"fields": ("status", "opened_at_local", "closed_at_local")}),
    )

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, festival):
        return status_badge(festival)

    @admin.display(description=_("registration (festival time)"), ordering="registration_opens_at")
    def registration_local(self, festival):
        return f"{festival_time(festival, festival.registration_opens_at)} – {festival_time(festival, festival.registration_closes_at)}"

    @admin.display(description=_("submission deadline (festival time)"), ordering="submission_deadline")
    def submission_deadline_local(self, festival):
        return festival_time(festival, festival.submission_deadline)

    @admin.display(description=_("window (festival time)"), ordering="starts_at")
    def window_local(self, festival):
        return f"{festival_time(festival, festival.starts_at)} – {festival_time(festival, festival.ends_at)}"

    @admin.display(description=_("window"))
    def window_summary(self, festival):
        if not festival.pk:
            return "—"
        return f"{self.window_local(festival)} ({festival.time_zone})"

    @admin.display(description=_("opened at"))
    def opened_at_local(self, festival):
        return festival_time(festival, festival.opened_at)

    @admin.display(description=_("closed at"))
    def closed_at_local(self, festival):
        return festival_time(festival, festival.closed_at)

    @admin.display(description=_("dashboard"))
    def dashboard_link(self, festival):
        url = reverse("admin:promotions_dashboard_festival", args=[festival.pk])
        return format_html('<a href="{}">{}</a>', url, _("Dashboard"))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form's dates are in the festival's own zone: the zone the form
        # names when it is posted, else the saved festival's, else the default.
        festival = self.get_object(request, unquote(object_id)) if object_id else None
        zone = _posted_time_zone(request) or (festival.tz if festival else None)
        if zone is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(zone):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # render inside the zone: the template formats the dates
            return response


def _posted_time_zone(request):
    if request.method != "POST":
        return None
    try:
        return zoneinfo.ZoneInfo(request.POST.get("time_zone", ""))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "name_en", "slug", "position", "required_certificate_kind")
    list_select_related = ("parent",)
    list_filter = ("required_certificate_kind",)
    search_fields = ("name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}


@admin.register(DailyResult)
class DailyResultAdmin(ReadOnlyAdmin):
    list_display = (
        "festival",
        "date",
        "gmv",
        "orders",
        "merchants_reporting",
        "promotions_live",
        "promotions_started",
        "promotions_ended",
        "parcels_collected",
        "rural_parcels_collected",
        "carriers_reporting",
    )
    list_filter = ("festival",)
    list_select_related = ("festival",)
    date_hierarchy = "date"


@admin.register(SentNotification)
class SentNotificationAdmin(ReadOnlyAdmin):
    list_display = ("sent_at", "recipient", "subject", "key")
    search_fields = ("recipient", "subject", "key")
    date_hierarchy = "sent_at"


@admin.register(Province)
class ProvinceAdmin(ReadOnlyAdmin):
    """GB/T 2260 reference table, loaded by a migration: read-only."""

    list_display = ("code", "name", "name_en")
    search_fields = ("code", "name", "name_en")
