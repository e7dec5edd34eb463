"""Reads of consumers' reports: the public counts, the association's queue, the merchant's list."""

from datetime import timedelta
from statistics import median

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from festival import scoping
from promotions.models import Promotion

from .models import DECIDED_STATUSES, OPEN_STATUSES, PriceReport, ReportEvent, ReportStatus

S = ReportStatus


def public_report_counts(festival) -> dict:
    """Counts for the public pages: ``received`` (all filed), ``upheld``,
    ``dismissed``, ``open`` and ``median_decision`` (a timedelta, or None
    before the first decision). Two queries."""
    counts = PriceReport.objects.filter(promotion__festival=festival).aggregate(
        received=Count("pk"),
        upheld=Count("pk", filter=Q(status=S.UPHELD)),
        dismissed=Count("pk", filter=Q(status=S.DISMISSED)),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
    )
    durations = [
        decided - created
        for created, decided in PriceReport.objects.filter(
            promotion__festival=festival, status__in=DECIDED_STATUSES, decided_at__isnull=False
        ).values_list("created_at", "decided_at")
    ]
    counts["median_decision"] = median(durations) if durations else None
    if counts["median_decision"] is not None:
        counts["median_decision"] = timedelta(seconds=round(counts["median_decision"].total_seconds()))
    return counts


def upheld_count(merchant, festival) -> int:
    """Upheld reports about ``merchant``'s promotions in ``festival`` (one query)."""
    return upheld_counts_by_festival(merchant).get(festival.pk, 0)


def upheld_counts_by_festival(merchant) -> dict[int, int]:
    """{festival id: upheld reports about ``merchant``'s promotions there}, in one query."""
    rows = (
        PriceReport.objects.filter(merchant=merchant, status=S.UPHELD)
        .values("promotion__festival")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["promotion__festival"]: row["count"] for row in rows}


def queue() -> QuerySet[PriceReport]:
    """The association's queue: open reports first, then oldest first."""
    return (
        PriceReport.objects.select_related("item__product", "promotion__festival", "merchant")
        .annotate(
            open_first=Case(
                When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("open_first", "created_at", "pk")
    )


def counts_by(field: str, ids) -> dict[int, int]:
    """How many reports per promotion or merchant id (one query)."""
    rows = PriceReport.objects.filter(**{f"{field}__in": list(ids)}).values(field).annotate(n=Count("pk"))
    return {row[field]: row["n"] for row in rows}


def reports_for_merchant(merchant) -> QuerySet[PriceReport]:
    return (
        PriceReport.objects.filter(merchant=merchant)
        .select_related("item__product", "promotion")
        .order_by("-created_at", "-pk")
    )


def reportable_promotion(pk) -> Promotion:
    """A public promotion with its items (raises Promotion.DoesNotExist)."""
    return (
        Promotion.objects.public().select_related("festival", "merchant").prefetch_related("items__product").get(pk=pk)
    )


# Organisers' teams (issue 14): the one scoping selector per model (festival/scoping.py).
# A report belongs to the festival of the promotion it is about.


def visible_reports(user, *, perm=None, queryset=None) -> QuerySet[PriceReport]:
    queryset = PriceReport.objects.all() if queryset is None else queryset
    return scoping.scope(queryset, scoping.festival_q(user, perm=perm, field="promotion__festival"))


def visible_report_events(user, *, perm=None, queryset=None) -> QuerySet[ReportEvent]:
    queryset = ReportEvent.objects.all() if queryset is None else queryset
    return scoping.scope(queryset, scoping.festival_q(user, perm=perm, field="report__promotion__festival"))


scoping.register(PriceReport, visible_reports)
scoping.register(ReportEvent, visible_report_events)
