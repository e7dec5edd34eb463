"""The promotions review queue and the festival dashboard.

Promotions are never edited here: reviewers approve, request changes or
cancel, one by one or in bulk, and every decision goes through
promotions.services (locked, checked against ALLOWED_TRANSITIONS, recorded).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Prefetch, Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ExportMixin

from core.admin_decisions import (
    NOTE_OPTIONAL,
    NOTE_REQUIRED,
    Decision,
    DecisionAdminMixin,
    DecisionReport,
)
from core.admin_display import ReadOnlyInline, StatusHistoryInline, badge, festival_time
from core.pagination import EstimatedCountPaginator
from core.spreadsheets import SPREADSHEET_FORMATS, BoundedExportMixin
from festival import scoping
from festival.admin_scoping import ScopedAdminMixin, ScopedInlineMixin
from festival.models import Festival
from festival.scoping import visible_festivals
from merchants.uscc import is_valid_uscc

from . import search, services
from .dashboard import festival_dashboard
from .models import (
    ALLOWED_TRANSITIONS,
    CheckStatus,
    Promotion,
    PromotionEvent,
    PromotionItem,
    PromotionStatus,
    PromotionTally,
    fields_for_kind,
    review_queue_order,
)
from .resources import PromotionResource
from .search import has_search_document

S = PromotionStatus

# A search whose matches are at most this many is answered from their ids (one index scan).
RARE_SEARCH_MATCHES_KEPT = 1000


def _approve(promotion, *, by, note):
    return services.approve_promotion(promotion, by=by, note=note)


def _request_changes(promotion, *, by, note):
    return services.request_changes(promotion, by=by, note=note)


def _cancel(promotion, *, by, note):
    return services.cancel_promotion(promotion, by=by, reason=note)


def item_check_summary(items) -> dict[str, int]:
    counts = {CheckStatus.PASS: 0, CheckStatus.WARNING: 0, CheckStatus.FAIL: 0, "": 0}
    for item in items:
        counts[item.check_status or ""] = counts.get(item.check_status or "", 0) + 1
    return counts


class PromotionItemInline(ScopedInlineMixin, ReadOnlyInline):
    model = PromotionItem
    fields = (
        "product",
        "promo_price",
        "reference_price",
        "reference_source",
        "real_discount",
        "check_badge",
        "reasons",
        "checked_at",
    )
    readonly_fields = fields
    show_change_link = False
    verbose_name = gettext_lazy("item")
    verbose_name_plural = gettext_lazy("Items and their honest-price check")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    @admin.display(description=gettext_lazy("real discount"))
    def real_discount(self, item):
        return "—" if item.real_discount_percent is None else f"{item.real_discount_percent}%"

    @admin.display(description=gettext_lazy("check"))
    def check_badge(self, item):
        label = item.get_check_status_display() if item.check_status else _("Not checked")
        return badge(item.check_status, label)

    @admin.display(description=gettext_lazy("reasons"))
    def reasons(self, item):
        if not item.check_reasons:
            return "—"
        return format_html(
            '<ul class="check-reasons">{}</ul>', format_html_join("", "<li>{}</li>", ((r,) for r in item.check_reasons))
        )


class PromotionEventInline(ScopedInlineMixin, StatusHistoryInline):
    model = PromotionEvent

    @admin.display(description=gettext_lazy("when (festival time)"))
    def when(self, event):
        return festival_time(event.promotion.festival, event.created_at)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("promotion__festival")


class CheckResultFilter(admin.SimpleListFilter):
    title = gettext_lazy("honest-price check")
    parameter_name = "check"

    def lookups(self, request, model_admin):
        return [
            ("pass", _("All items pass")),
            ("warning", _("Some items have warnings")),
            ("fail", _("Some items fail")),
        ]

    def queryset(self, request, queryset):
        # EXISTS per row, not counts over every item of every promotion: the page's 50 rows
        # are found without aggregating millions of items first (issue 17).
        items = PromotionItem.objects.filter(promotion=OuterRef("pk"))
        if self.value() == "pass":
            return queryset.filter(Exists(items)).exclude(Exists(items.exclude(check_status=CheckStatus.PASS)))
        if self.value() in (CheckStatus.WARNING, CheckStatus.FAIL):
            return queryset.filter(Exists(items.filter(check_status=self.value())))
        return queryset


@admin.register(Promotion)
class PromotionAdmin(ScopedAdminMixin, DecisionAdminMixin, BoundedExportMixin, ExportMixin, admin.ModelAdmin):
    """The review queue: submitted promotions first, the longest-waiting first."""

    paginator = EstimatedCountPaginator  # exact while small, estimated at national size

    def review_queue_count(self, request, status) -> int:
        """The index's "waiting for review" count, from the roll-ups (promotions.tallies) of the
        festivals the user's teams see (what this changelist shows), not a count of every
        promotion in the status."""
        tallies = scoping.scope(PromotionTally.objects.filter(status=status), scoping.festival_q(request.user))
        return tallies.aggregate(n=Sum("count"))["n"] or 0

    show_full_result_count = False

    export_formats = SPREADSHEET_FORMATS  # CSV and XLSX that escape formulae (core/spreadsheets.py)
    resource_classes = [PromotionResource]

    decisions = (
        Decision(
            name="approve",
            label=gettext_lazy("Approve"),
            done_message=gettext_lazy("“%(object)s” was approved."),
            permission="promotions.review_promotion",
            perform=_approve,
            transitions=ALLOWED_TRANSITIONS,
            target_status=S.APPROVED,
            note=NOTE_OPTIONAL,
            button_class="decision-approve",
        ),
        Decision(
            name="request_changes",
            label=gettext_lazy("Request changes"),
            done_message=gettext_lazy("Changes to “%(object)s” were requested."),
            permission="promotions.review_promotion",
            perform=_request_changes,
            transitions=ALLOWED_TRANSITIONS,
            target_status=S.CHANGES_REQUESTED,
            note=NOTE_REQUIRED,
            note_label=gettext_lazy("What to change"),
            bulk_label=gettext_lazy("Request changes to selected promotions…"),
            note_help=gettext_lazy("The merchant reads this note, edits the promotion and submits it again."),
        ),
        Decision(
            name="cancel",
            label=gettext_lazy("Cancel promotion"),
            done_message=gettext_lazy("“%(object)s” was cancelled."),
            permission="promotions.review_promotion",
            perform=_cancel,
            transitions=ALLOWED_TRANSITIONS,
            target_status=S.CANCELLED,
            note=NOTE_REQUIRED,
            note_label=gettext_lazy("Reason"),
            note_help=gettext_lazy("The merchant reads this reason. A live promotion ends at once."),
            bulk_label=gettext_lazy("Cancel selected promotions…"),
            button_class="decision-cancel",
        ),
    )
    list_display = (
        "title",
        "merchant",
        "kind",
        "status_display",
        "check_display",
        "window_local",
        "submitted_local",
    )
    list_filter = ("status", CheckResultFilter, "kind", "festival")
    list_select_related = ("merchant", "festival")
    search_fields = ("title", "merchant__name", "=merchant__uscc")
    list_per_page = 50
    inlines = [PromotionItemInline, PromotionEventInline]
    actions = ["approve_all_that_pass"]
    action_permission_names = {"review": "promotions.review_promotion"}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("merchant", "festival", "reviewed_by")
            # The items behind the badges, their counts and tooltips: one query per page.
            .prefetch_related(
                Prefetch("items", queryset=PromotionItem.objects.select_related("product").order_by("pk"))
            )
        )

    has_review_queue = True

    def next_in_queue(self, request, promotion):
        """The longest-waiting submitted promotion other than this one (the changelist's order)."""
        return (
            self.get_queryset(request)
            .filter(status=S.SUBMITTED)
            .exclude(pk=promotion.pk)
            .order_by(F("submitted_at").asc(nulls_last=True), "created_at", "pk")
            .first()
        )

    def get_ordering(self, request):
        return review_queue_order()

    # Read-only everywhere: only the decisions change a promotion.

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_search_results(self, request, queryset, search_term):
        """Django's rule (every word in the title or the merchant's name, or the merchant's
        USCC), with the rows first narrowed by the search document on PostgreSQL
        (promotions.search): matching the names of a national festival's promotions row by
        row scanned them all for a rare word. A term that is a USCC finds that merchant's
        promotions through its index. A rare word's matches (up to RARE_SEARCH_MATCHES_KEPT)
        are read once and the changelist then counts and pages them by id."""
        words = [
            unescape_string_literal(bit) if bit.startswith(('"', "'")) and bit[0] == bit[-1] else bit
            for bit in smart_split(search_term)
        ]  # the words Django's own search ANDs
        words = [word for word in words if word]
        if words and has_search_document(queryset):
            if len(words) == 1 and is_valid_uscc(words[0].upper()):
                return queryset.filter(merchant__uscc=words[0].upper()), False
            scoped, any_rare = queryset, False
            for word in words:
                queryset, rare = search.narrowed(queryset, word)
                any_rare = any_rare or rare
            found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
            if any_rare:
                # The rare word's index scan is most of the page's time: run it once here,
                # not again for the count and then for the page.
                ids = list(found.order_by().values_list("pk", flat=True).distinct()[: RARE_SEARCH_MATCHES_KEPT + 1])
                if len(ids) <= RARE_SEARCH_MATCHES_KEPT:
                    return scoped.filter(pk__in=ids), False
            return found, may_have_duplicates
        return super().get_search_results(request, queryset, search_term)

    def get_export_queryset(self, request):
        # The changelist's rows (the team's, filtered) with what the export prints, not the
        # items the changelist's badges read.
        return super().get_export_queryset(request).prefetch_related(None).prefetch_related("categories")

    def has_review_permission(self, request):
        return request.user.has_perm("promotions.review_promotion")

    def get_fieldsets(self, request, obj=None):
        kind_fields = list(fields_for_kind(obj.kind)) if obj else []
        return [
            (None, {"fields": ["title", "merchant", "festival", "kind", "status_display", "description"]}),
            (
                _("Dates (festival time)"),
                {"fields": ["window_local", "submitted_local", "went_live_local", "ended_local"]},
            ),
            (_("Offer"), {"fields": [*kind_fields, "categories_display", "banner"]}),
            (_("Review"), {"fields": ["check_display", "reviewed_local", "reviewed_by", "review_note"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        return [field for _name, options in self.get_fieldsets(request, obj) for field in options["fields"]]

    # Columns -----------------------------------------------------------

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_display(self, promotion):
        return badge(promotion.status, promotion.get_status_display())

    @admin.display(description=gettext_lazy("honest-price check"))
    def check_display(self, promotion):
        items = list(promotion.items.all())
        counts = item_check_summary(items)
        tooltip = "\n".join(
            f"{item.product.sku}: {item.get_check_status_display() or _('not checked')}"
            + (f" — {'; '.join(item.check_reasons)}" if item.check_reasons else "")
            for item in items
        )
        parts = [
            badge(status, f"{label} {counts[status]}", tooltip)
            for status, label in (
                (CheckStatus.PASS, _("pass")),
                (CheckStatus.WARNING, _("warning")),
                (CheckStatus.FAIL, _("fail")),
            )
            if counts[status]
        ]
        if counts[""]:
            parts.append(badge("", _("not checked %(n)d") % {"n": counts[""]}, tooltip))
        if not parts:
            return _("no items")
        return format_html_join(" ", "{}", ((p,) for p in parts))

    @admin.display(description=gettext_lazy("window (festival time)"), ordering="starts_at")
    def window_local(self, promotion):
        festival = promotion.festival
        # Two unbreakable halves, so at 1366 px the column wraps between start and end, never inside a time.
        return format_html(
            '<span class="keep-together">{}</span> <span class="keep-together">– {}</span>',
            festival_time(festival, promotion.starts_at),
            festival_time(festival, promotion.ends_at, "%m-%d %H:%M"),
        )

    @admin.display(description=gettext_lazy("submitted (festival time)"), ordering="submitted_at")
    def submitted_local(self, promotion):
        if not promotion.submitted_at:
            return "—"
        festival = promotion.festival
        return format_html(
            '<span class="keep-together">{}</span> <span class="keep-together">{}</span>',
            festival_time(festival, promotion.submitted_at, "%Y-%m-%d"),
            festival_time(festival, promotion.submitted_at, "%H:%M"),
        )

    @admin.display(description=gettext_lazy("went live (festival time)"))
    def went_live_local(self, promotion):
        return festival_time(promotion.festival, promotion.went_live_at)

    @admin.display(description=gettext_lazy("ended (festival time)"))
    def ended_local(self, promotion):
        return festival_time(promotion.festival, promotion.ended_at)

    @admin.display(description=gettext_lazy("reviewed (festival time)"))
    def reviewed_local(self, promotion):
        return festival_time(promotion.festival, promotion.reviewed_at)

    @admin.display(description=gettext_lazy("categories"))
    def categories_display(self, promotion):
        return ", ".join(str(c) for c in promotion.categories.all()) or "—"

    def decision_row(self, promotion):
        row = super().decision_row(promotion)
        row["details"] = format_html("{} · {}", promotion.merchant, self.check_display(promotion))
        return row

    # Bulk: approve every selected promotion whose items all pass ---------------

    @admin.action(description=gettext_lazy("Approve all selected whose items all pass"), permissions=["review"])
    def approve_all_that_pass(self, request, queryset):
        # items and products are prefetched by get_queryset
        approved, skipped = services.approve_promotions_that_pass(queryset, by=request.user)
        for promotion in approved:
            self.log_change(request, promotion, _("Approved: every item passes the honest-price check"))
        DecisionReport(done=approved, skipped=skipped).send(request, self.decisions[0])

    # The festival dashboard ---------------------------------------------------

    def get_urls(self):
        return [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="promotions_dashboard"),
            path(
                "dashboard/<int:festival_id>/",
                self.admin_site.admin_view(self.dashboard_view),
                name="promotions_dashboard_festival",
            ),
            *super().get_urls(),
        ]

    def dashboard_view(self, request, festival_id=None):
        if not request.user.has_perm("festival.view_festival"):
            raise PermissionDenied
        seen = visible_festivals(request.user)
        festivals = list(seen.only("pk", "name", "starts_at", "ends_at", "time_zone").order_by("-starts_at"))
        if festival_id is not None:
            festival = get_object_or_404(seen, pk=festival_id)
        else:
            festival = _current_festival(festivals)
            if festival is None:
                messages.info(request, _("Create a festival first; its dashboard appears here."))
                return HttpResponseRedirect(reverse("admin:festival_festival_changelist"))
        dashboard = festival_dashboard(festival, user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Dashboard: %(festival)s") % {"festival": festival},
            "festival": festival,
            "festivals": festivals,
            "dashboard": dashboard,
            "charts": dashboard.charts(),
            "window": f"{festival_time(festival, festival.starts_at)} – {festival_time(festival, festival.ends_at)}",
            "opts": Festival._meta,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/festival/dashboard.html", context)


def _current_festival(festivals):
    """The running festival, else the next one, else the latest."""
    now = timezone.now()
    running = [f for f in festivals if f.starts_at <= now <= f.ends_at]
    upcoming = sorted((f for f in festivals if f.starts_at > now), key=lambda f: f.starts_at)
    return (running or upcoming or festivals or [None])[0]
