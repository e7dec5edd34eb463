"""Reads for the organisers' festival dashboard.

Every figure is one query, so the page costs the same handful of queries for 10
merchants or 10,000. The participations (by status, merchant kind and category), the
promotion counts (by status, kind and start day), the item checks and the sales per day
are read from roll-ups kept exact by the services (merchants.tallies, promotions.tallies,
merchants.daily_sales; issue 17), never counted from the rows on a view.

An edition's figures roll its sub-festivals up (issue 14): every query reads the
festival and its sub-festivals that the user's teams see (``festival.scoping``'s
``visible_festivals``, one subquery), and the rows are grouped by festival as well, so the
per-sub-festival breakdown costs one query more (the festivals' names), never one per row.
A national team opening the edition sees the sum of the edition and both sub-festivals
with a row for each; a provincial team sees only its own sub-festival.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from festival.models import DailyResult, Festival
from festival.scoping import visible_festivals
from merchants.models import (
    Certificate,
    CertificateStatus,
    MerchantKind,
    ParticipationCategoryTally,
    ParticipationStatus,
    ParticipationTally,
)
from merchants.selectors import visible_certificates

from .models import (
    PUBLIC_STATUSES,
    CheckStatus,
    ItemCheckTally,
    Promotion,
    PromotionKind,
    PromotionStatus,
    PromotionTally,
)

FEN = Decimal("0.01")

# Participations that count as "taking part" on the charts.
COUNTED_PARTICIPATIONS = (ParticipationStatus.APPLIED, ParticipationStatus.APPROVED)


@dataclass
class Series:
    """Labels and one or more named datasets, ready for a chart."""

    labels: list[str]
    datasets: dict[str, list] = field(default_factory=dict)

    def as_chart(self):
        return {"labels": self.labels, "datasets": [{"label": k, "data": v} for k, v in self.datasets.items()]}


@dataclass
class FestivalRow:
    """One festival's share of a rolled-up dashboard (the edition itself, or a sub-festival)."""

    festival: Festival
    approved_participants: int = 0
    participations_waiting: int = 0
    promotions: int = 0
    pending_promotions: int = 0
    public_promotions: int = 0
    gmv: Decimal = Decimal("0")
    orders: int = 0

    @property
    def is_sub_festival(self) -> bool:
        return self.festival.parent_id is not None


@dataclass
class FestivalDashboard:
    festival: Festival
    participations_by_status: dict[str, int]
    merchants_by_kind: Series
    merchants_by_category: Series
    promotions_by_status: Series
    promotions_by_kind: Series
    promotions_starting_per_day: Series
    item_checks: Series
    daily_sales: Series
    pending_promotions: int
    pending_certificates: int
    total_gmv: Decimal
    total_orders: int
    # The festivals summed (the edition and its sub-festivals the user sees), one row each.
    breakdown: list[FestivalRow] = field(default_factory=list)

    @property
    def festival_ids(self) -> str:
        """The summed festivals' ids, for a changelist link (``festival__id__in``)."""
        return ",".join(str(row.festival.pk) for row in self.breakdown) or str(self.festival.pk)

    @property
    def rolls_up(self) -> bool:
        """Whether the figures sum more than one festival (show the breakdown)."""
        return len(self.breakdown) > 1

    @property
    def items_pass_share(self) -> Decimal | None:
        """Percentage of checked items that pass the honest-price check (None before any check)."""
        counts = next(iter(self.item_checks.datasets.values()))
        checked = sum(counts[:3])  # pass, warning, fail; "not checked" is left out
        if not checked:
            return None
        return (Decimal(counts[0]) * 100 / checked).quantize(Decimal("0.1"))

    def charts(self):
        return {
            "merchants_by_kind": self.merchants_by_kind.as_chart(),
            "merchants_by_category": self.merchants_by_category.as_chart(),
            "promotions_by_status": self.promotions_by_status.as_chart(),
            "promotions_by_kind": self.promotions_by_kind.as_chart(),
            "promotions_starting_per_day": self.promotions_starting_per_day.as_chart(),
            "item_checks": self.item_checks.as_chart(),
            "daily_sales": self.daily_sales.as_chart(),
        }


def festival_days(festival: Festival) -> list[date]:
    """Every calendar day of the window, in the festival's time zone."""
    first = festival.local(festival.starts_at).date()
    last = festival.local(festival.ends_at).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _category_label(row):
    english = (get_language() or "").startswith("en")
    name = (row["category__name_en"] if english else "") or row["category__name"]
    parent = (row["category__parent__name_en"] if english else "") or row["category__parent__name"]
    return f"{parent} / {name}" if parent else name


def dashboard_festivals(festival: Festival, user=None):
    """The festivals a dashboard of ``festival`` sums: it and its sub-festivals, bounded by what
    ``user``'s teams see (everything without a user). A queryset, used as a subquery."""
    festivals = Festival.objects.filter(Q(pk=festival.pk) | Q(parent_id=festival.pk))
    return festivals if user is None else visible_festivals(user, queryset=festivals)


def festival_dashboard(festival: Festival, *, user=None) -> FestivalDashboard:
    """All dashboard figures of one festival and its sub-festivals (nine queries: roll-ups, small tables and the
    count of certificates waiting);
    ``user`` bounds them to the festivals their teams see, and the certificates waiting
    (they belong to no festival) to the merchants their teams see."""
    scope = dashboard_festivals(festival, user)
    festivals = list(
        scope.only("pk", "name", "parent_id", "starts_at", "time_zone").order_by(
            F("parent_id").asc(nulls_first=True), "starts_at", "pk"
        )
    )
    rows = {f.pk: FestivalRow(f) for f in festivals}
    ids = list(rows)
    # 1. participations by status and merchant kind (and festival, for the breakdown), and
    # 2. participating merchants by claimed category: read from roll-ups kept exact by the
    # participation services (merchants.tallies), never from the participations themselves.
    by_kind_status = ParticipationTally.objects.filter(festival_id__in=ids).values_list(
        "festival_id", "merchant_kind", "status", "count"
    )
    participations_by_status = dict.fromkeys(ParticipationStatus.values, 0)
    kind_counts = {status: dict.fromkeys(MerchantKind.values, 0) for status in COUNTED_PARTICIPATIONS}
    for festival_id, kind, status, n in by_kind_status:
        participations_by_status[status] += n
        if status == ParticipationStatus.APPROVED:
            rows[festival_id].approved_participants += n
        elif status == ParticipationStatus.APPLIED:
            rows[festival_id].participations_waiting += n
        if status in kind_counts:
            kind_counts[status][kind] += n
    kind_labels = dict(MerchantKind.choices)
    status_labels = dict(ParticipationStatus.choices)
    merchants_by_kind = Series(
        [str(kind_labels[k]) for k in MerchantKind.values],
        {str(status_labels[s]): list(kind_counts[s].values()) for s in COUNTED_PARTICIPATIONS},
    )

    category_rows = (
        ParticipationCategoryTally.objects.filter(festival_id__in=ids, status__in=COUNTED_PARTICIPATIONS)
        .values(
            "category_id", "category__name", "category__name_en", "category__parent__name", "category__parent__name_en"
        )
        .annotate(n=Sum("count"))
        .filter(n__gt=0)
        .order_by("-n", "category_id")
    )
    category_rows = list(category_rows)
    merchants_by_category = Series(
        [_category_label(row) for row in category_rows], {_("Merchants"): [row["n"] for row in category_rows]}
    )

    # 3–5. promotions by status (and festival), by kind, and public ones by start day: read from
    # roll-ups kept exact by the services (promotions.tallies), a row per festival, status, kind and
    # start day, never from the promotions themselves.
    tally = PromotionTally.objects.filter(festival_id__in=ids)
    status_counts = {}
    for festival_id, status, n in tally.values_list("festival_id", "status").annotate(n=Sum("count")).order_by():
        status_counts[status] = status_counts.get(status, 0) + n
        row = rows[festival_id]
        row.promotions += n
        if status == PromotionStatus.SUBMITTED:
            row.pending_promotions += n
        if status in PUBLIC_STATUSES:
            row.public_promotions += n
    kind_counts = dict(tally.values_list("kind").annotate(n=Sum("count")).order_by())
    # The tally's start days are in each festival's own time zone; a sub-festival in another zone
    # than this dashboard's (rare) has its promotions' days counted in this one's from the rows.
    same_zone = [pk for pk, row in rows.items() if row.festival.time_zone == festival.time_zone]
    per_day = dict(
        tally.filter(festival_id__in=same_zone, status__in=PUBLIC_STATUSES)
        .values_list("starts_on")
        .annotate(n=Sum("count"))
        .order_by()
    )
    if len(same_zone) < len(ids):
        for day, n in (
            Promotion.objects.filter(festival_id__in=set(ids) - set(same_zone), status__in=PUBLIC_STATUSES)
            .annotate(day=TruncDate("starts_at", tzinfo=festival.tz))
            .values_list("day")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            per_day[day] = per_day.get(day, 0) + n
    promotions_by_status = Series(
        [str(label) for label in PromotionStatus.labels],
        {_("Promotions"): [status_counts.get(s, 0) for s in PromotionStatus.values]},
    )
    promotions_by_kind = Series(
        [str(label) for label in PromotionKind.labels],
        {_("Promotions"): [kind_counts.get(k, 0) for k in PromotionKind.values]},
    )
    days = festival_days(festival)
    promotions_starting_per_day = Series(
        [d.isoformat() for d in days], {_("Promotions going live"): [per_day.get(d, 0) for d in days]}
    )

    # 6. honest-price check of the items of submitted (and later) promotions (a roll-up too)
    check_counts = dict(
        ItemCheckTally.objects.filter(festival_id__in=ids)
        .values_list("check_status")
        .annotate(n=Sum("count"))
        .order_by()
    )
    item_checks = Series(
        [*(str(label) for label in CheckStatus.labels), _("Not checked")],
        {_("Items"): [*(check_counts.get(s, 0) for s in CheckStatus.values), check_counts.get("", 0)]},
    )

    # 7. reported sales per day (and festival): the days' roll-up, kept exact by every report
    # (merchants.daily_sales); a day only the nightly job wrote (no merchant reporting) is left out.
    sales = {}
    for day_date, festival_id, gmv, orders in DailyResult.objects.filter(
        festival_id__in=ids, merchants_reporting__gt=0
    ).values_list("date", "festival_id", "gmv", "orders"):
        gmv = Decimal(gmv).quantize(FEN)  # SQLite adds decimals loosely
        day = sales.setdefault(day_date, {"gmv": Decimal("0"), "orders": 0})
        day["gmv"] += gmv
        day["orders"] += orders
        rows[festival_id].gmv += gmv
        rows[festival_id].orders += orders
    # A day nobody reported yet is a gap in the chart (None), not a day of zero sales.
    daily_sales = Series(
        [d.isoformat() for d in days],
        {
            _("Sales (CNY)"): [str(sales[d]["gmv"]) if d in sales else None for d in days],
            _("Orders"): [sales[d]["orders"] if d in sales else None for d in days],
        },
    )

    # 8. certificates waiting for an organiser (they are not tied to one festival)
    certificates = Certificate.objects.filter(status=CertificateStatus.PENDING)
    if user is not None:
        certificates = visible_certificates(user, queryset=certificates)
    pending_certificates = certificates.count()

    return FestivalDashboard(
        festival=festival,
        participations_by_status=participations_by_status,
        merchants_by_kind=merchants_by_kind,
        merchants_by_category=merchants_by_category,
        promotions_by_status=promotions_by_status,
        promotions_by_kind=promotions_by_kind,
        promotions_starting_per_day=promotions_starting_per_day,
        item_checks=item_checks,
        daily_sales=daily_sales,
        pending_promotions=status_counts.get(PromotionStatus.SUBMITTED, 0),
        pending_certificates=pending_certificates,
        total_gmv=sum((row["gmv"] for row in sales.values()), Decimal("0")),
        total_orders=sum(row["orders"] for row in sales.values()),
        breakdown=list(rows.values()),
    )
