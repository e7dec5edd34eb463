"""Participations: merchants apply to a festival in their portal; organisers
approve or reject them here, and export the list."""

from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ExportMixin

from core.admin_decisions import NOTE_OPTIONAL, NOTE_REQUIRED, Decision, DecisionAdminMixin
from core.admin_display import StatusHistoryInline, badge, festival_time
from core.pagination import EstimatedCountPaginator
from festival.admin_scoping import ScopedAdminMixin, ScopedInlineMixin

from .. import services
from ..models import PARTICIPATION_TRANSITIONS, Participation, ParticipationEvent, ParticipationStatus
from ..reference import claims_time_honoured, on_time_honoured_list
from .merchants import CategoryFilter
from .reference import time_honoured_match_html
from .spreadsheets import SPREADSHEET_FORMATS, BoundedExportMixin


def _approve_participation(participation, *, by, note):
    return services.approve_participation(participation, by=by, note=note)


def _reject_participation(participation, *, by, note):
    return services.reject_participation(participation, by=by, reason=note)


class ParticipationEventInline(ScopedInlineMixin, StatusHistoryInline):
    model = ParticipationEvent


class ParticipationCategoryFilter(CategoryFilter):
    claim_owner = "participation_id"


class ParticipationPaginator(EstimatedCountPaginator):
    # Filtered by the merchant's kind, every row counted exactly is joined with its merchant:
    # 25,000 of them cost 50 ms at a tenth of national size. Exact to 10,000 bounds it at a fifth.
    exact_limit = 10_000


@admin.register(Participation)
class ParticipationAdmin(ScopedAdminMixin, DecisionAdminMixin, BoundedExportMixin, ExportMixin, admin.ModelAdmin):
    paginator = ParticipationPaginator  # exact while small, estimated at national size
    show_full_result_count = False
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
    # Not the model's order (its festival's start, then its merchant's name): that joins and sorts
    # every participation before the page is cut (477 ms at a tenth of national size). The
    # newest applications first come straight off an index, filtered or not (Participation.Meta).
    ordering = ("-applied_at", "-pk")
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
        return time_honoured_match_html(participation.merchant)

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
