"""Small display helpers shared by the admin modules (badges, festival-local times, read-only inlines)."""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .pagination import EstimatedCountPaginator


def badge(value, label, title=""):
    """A coloured status badge; ``value`` picks the colour (see static/admin_extra/admin.css)."""
    return format_html('<span class="badge badge-{}" title="{}">{}</span>', value or "unchecked", title, label)


def status_badge(obj):
    return badge(obj.status, obj.get_status_display())


def festival_time(festival, moment, fmt="%Y-%m-%d %H:%M"):
    """A stored (UTC) moment shown in the festival's own time zone."""
    if not moment:
        return "—"
    return f"{festival.local(moment):{fmt}}"


class ReadOnlyInline(admin.TabularInline):
    """An inline that only shows rows (records and history are never edited here)."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StatusHistoryInline(ReadOnlyInline):
    """The recorded status changes of an object: who, when, from, to and why."""

    fields = ("when", "from_status", "to_status", "actor", "note")
    readonly_fields = fields
    show_change_link = False
    verbose_name = _("status change")
    verbose_name_plural = _("History of decisions and status changes")
    classes = ("history",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("when"))
    def when(self, event):
        return f"{timezone.localtime(event.created_at):%Y-%m-%d %H:%M}" if event.created_at else "—"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept by the services (price history, sales, notifications): view only."""

    # These tables hold millions of rows: counted exactly only while small.
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
