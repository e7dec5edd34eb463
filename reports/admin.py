"""The consumer association's queue: open reports first, oldest first, with
counts per promotion and merchant; each report shows its frozen evidence (table
and chart), the screenshot and the proposed finding. Read-only: decisions go
through reports.services (buttons with a required note)."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, json_script
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_decisions import NOTE_OPTIONAL, NOTE_REQUIRED, Decision, DecisionAdminMixin
from core.admin_display import StatusHistoryInline, badge
from festival.admin_scoping import ScopedAdminMixin, ScopedInlineMixin

from . import services
from .models import ALLOWED_TRANSITIONS, OPEN_STATUSES, PriceReport, ReportEvent, ReportStatus
from .selectors import visible_reports
from .views import screenshot_response

S = ReportStatus
DECIDE = services.DECIDE_PERMISSION


def _start_review(report, *, by, note):
    return services.start_review(report, by=by, note=note)


def _uphold(report, *, by, note):
    return services.decide_report(report, by=by, upheld=True, note=note)


def _uphold_and_warn(report, *, by, note):
    return services.decide_report(report, by=by, upheld=True, note=note, warn_merchant=True)


def _uphold_and_request_cancellation(report, *, by, note):
    return services.decide_report(report, by=by, upheld=True, note=note, warn_merchant=True, request_cancellation=True)


def _dismiss(report, *, by, note):
    return services.decide_report(report, by=by, upheld=False, note=note)


# A report still "received" may be decided directly (the service records the review step).
DECIDABLE = {
    S.RECEIVED: frozenset({S.UNDER_REVIEW, S.UPHELD, S.DISMISSED}),
    **{k: v for k, v in ALLOWED_TRANSITIONS.items() if k != S.RECEIVED},
}


def _decision(name, label, done, perform, target, *, note=NOTE_REQUIRED, help_text="", transitions=DECIDABLE, css=""):
    return Decision(
        name=name,
        label=label,
        done_message=done,
        permission=DECIDE,
        perform=perform,
        transitions=transitions,
        target_status=target,
        note=note,
        note_label=gettext_lazy("Note"),
        note_help=help_text,
        button_class=css,
    )


class ReportEventInline(ScopedInlineMixin, StatusHistoryInline):
    model = ReportEvent


def _count_subquery(field, reports):
    rows = reports.filter(**{field: OuterRef(field)}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


@admin.register(PriceReport)
class PriceReportAdmin(ScopedAdminMixin, DecisionAdminMixin, admin.ModelAdmin):
    decisions = (
        _decision(
            "start_review",
            gettext_lazy("Take under review"),
            gettext_lazy("“%(object)s” is under review."),
            _start_review,
            S.UNDER_REVIEW,
            note=NOTE_OPTIONAL,
            transitions=ALLOWED_TRANSITIONS,
        ),
        _decision(
            "uphold",
            gettext_lazy("Uphold"),
            gettext_lazy("“%(object)s” was upheld."),
            _uphold,
            S.UPHELD,
            help_text=gettext_lazy("The consumer and the merchant read this note."),
            css="decision-approve",
        ),
        _decision(
            "uphold_warn",
            gettext_lazy("Uphold and warn the merchant"),
            gettext_lazy("“%(object)s” was upheld and the merchant warned."),
            _uphold_and_warn,
            S.UPHELD,
            help_text=gettext_lazy("The consumer and the merchant read this note."),
        ),
        _decision(
            "uphold_cancel",
            gettext_lazy("Uphold, warn and request cancellation"),
            gettext_lazy("“%(object)s” was upheld; the promotion's cancellation was requested."),
            _uphold_and_request_cancellation,
            S.UPHELD,
            help_text=gettext_lazy(
                "An organiser with the review permission confirms the cancellation on the promotion's page."
            ),
            css="decision-cancel",
        ),
        _decision(
            "dismiss",
            gettext_lazy("Dismiss"),
            gettext_lazy("“%(object)s” was dismissed."),
            _dismiss,
            S.DISMISSED,
            help_text=gettext_lazy("The consumer and the merchant read this note."),
        ),
    )
    list_display = (
        "filed_local",
        "status_display",
        "finding_display",
        "promotion",
        "merchant",
        "item_name",
        "reason",
        "promotion_reports",
        "merchant_reports",
    )
    list_filter = ("status", "proposed_finding", "reason", "promotion__festival")
    search_fields = ("promotion__title", "merchant__name", "item__product__name")
    list_per_page = 50
    inlines = [ReportEventInline]

    class Media:
        js = ("vendor/chart.js/chart.umd.min.js", "reports/evidence_chart.js")

    def get_queryset(self, request):
        # The counts, too, only count what the user's teams see.
        seen = visible_reports(request.user)
        return (
            super()
            .get_queryset(request)
            .select_related("promotion__festival", "merchant", "item__product", "decided_by")
            .annotate(
                promotion_report_count=_count_subquery("promotion_id", seen),
                merchant_report_count=_count_subquery("merchant_id", seen),
            )
        )

    def get_ordering(self, request):
        from django.db.models import Case, Value, When

        open_first = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
        return [open_first.asc(), "created_at", "pk"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fieldsets(self, request, obj=None):
        consumer = ["reason", "seen_price", "seen_at_local", "description", "screenshot_display", "merged_count"]
        if request.user.has_perm(DECIDE):
            consumer.insert(0, "email")  # only the association's staff see the consumer's address
        return [
            (None, {"fields": ["status_display", "promotion_link", "merchant", "item_name", "filed_local"]}),
            (_("The consumer's report"), {"fields": consumer}),
            (_("Evidence recorded at filing"), {"fields": ["finding_display", "evidence_display", "chart_display"]}),
            (_("The merchant's answer"), {"fields": ["merchant_answer", "merchant_answered_at"]}),
            (
                _("Decision"),
                {"fields": ["decided_by", "decision_note", "merchant_warned", "cancellation_requested"]},
            ),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [field for _name, options in self.get_fieldsets(request, obj) for field in options["fields"]]

    def get_urls(self):
        return [
            path(
                "<path:object_id>/screenshot/",
                self.admin_site.admin_view(self.screenshot_view),
                name="reports_pricereport_screenshot",
            ),
            *super().get_urls(),
        ]

    def screenshot_view(self, request, object_id):
        report = get_object_or_404(self.get_queryset(request), pk=unquote(object_id))
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        return screenshot_response(report)

    # Columns -----------------------------------------------------------

    @admin.display(description=gettext_lazy("filed"), ordering="created_at")
    def filed_local(self, report):
        return f"{timezone.localtime(report.created_at, report.promotion.festival.tz):%Y-%m-%d %H:%M}"

    @admin.display(description=gettext_lazy("seen at"))
    def seen_at_local(self, report):
        return f"{timezone.localtime(report.seen_at, report.promotion.festival.tz):%Y-%m-%d %H:%M}"

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, report):
        return badge(report.status, report.get_status_display())

    @admin.display(description=gettext_lazy("proposed finding"), ordering="proposed_finding")
    def finding_display(self, report):
        return badge(report.proposed_finding, report.get_proposed_finding_display())

    @admin.display(description=gettext_lazy("item"))
    def item_name(self, report):
        return report.item.product.name

    @admin.display(description=gettext_lazy("reports on this promotion"))
    def promotion_reports(self, report):
        return getattr(report, "promotion_report_count", "—")

    @admin.display(description=gettext_lazy("reports on this merchant"))
    def merchant_reports(self, report):
        return getattr(report, "merchant_report_count", "—")

    @admin.display(description=gettext_lazy("promotion"))
    def promotion_link(self, report):
        url = reverse("admin:promotions_promotion_change", args=[report.promotion_id])
        return format_html(
            '<a href="{}">{}</a> ({})', url, report.promotion.title, report.promotion.get_status_display()
        )

    @admin.display(description=gettext_lazy("screenshot"))
    def screenshot_display(self, report):
        if not report.screenshot:
            return "—"
        url = reverse("admin:reports_pricereport_screenshot", args=[report.pk])
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="" class="report-screenshot"></a>', url
        )

    @admin.display(description=gettext_lazy("evidence"))
    def evidence_display(self, report):
        return render_to_string("reports/_evidence.html", {"evidence": report.evidence})

    @admin.display(description=gettext_lazy("price chart"))
    def chart_display(self, report):
        points = report.evidence.get("price_points", [])
        data = {
            "labels": [p["at"][:16].replace("T", " ") for p in points],
            "prices": [p["price"] for p in points],
            "declared": report.evidence.get("declared_price"),
            "seen": report.evidence.get("seen_price"),
            "label_price": _("Recorded price"),
            "label_declared": _("Declared promotional price"),
            "label_seen": _("Price the consumer saw"),
        }
        element_id = f"report-chart-{report.pk}"
        return format_html(
            '<div class="report-chart"><canvas data-report-chart="{}" width="480" height="200"></canvas></div>{}',
            element_id,
            json_script(data, element_id),
        )
