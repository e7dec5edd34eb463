"""Reads for the Post Bureau's logistics dashboard of one festival.

Five aggregate queries whatever the number of reports: totals per day over the
baseline and the festival, which carrier reported which day, totals per province,
the carriers, and the latest coverage per province; then the names of the provinces
in those rows.

A carrier that has not reported a day is a gap: the day's national total is then
incomplete and is shown apart (never as a complete figure, and a missing report is
never a zero); the lift compares only complete days.

Given a ``user``, every figure is read from the reports and coverage that user's teams see
(logistics/selectors.py's scoping selectors): a provincial team's dashboard is its
province's, a national team's the whole country's.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.templatetags.formatting import localname
from festival.models import Festival, Province

from .models import Carrier, Coverage, ParcelReport
from .periods import Period, baseline_before, festival_period, shown_period
from .selectors import daily_totals, ratio, rural_share, visible_coverage, visible_parcel_reports

TOP_PROVINCES = 10


def province_label(province) -> str:
    return localname(province)


@dataclass
class Gap:
    carrier: Carrier
    days: list[date]

    @property
    def ranges(self) -> list[tuple[date, date, int]]:
        """Consecutive missing days as (first, last, number of days), for a short listing."""
        runs = []
        for day in self.days:
            if runs and (day - runs[-1][1]).days == 1:
                runs[-1][1] = day
            else:
                runs.append([day, day])
        return [(first, last, (last - first).days + 1) for first, last in runs]


@dataclass
class ProvinceRow:
    province: Province
    collected: int
    delivered: int
    rural_collected: int
    rural_delivered: int

    @property
    def rural_share(self):
        return rural_share(self.rural_collected, self.rural_delivered, self.collected, self.delivered)


@dataclass
class LogisticsDashboard:
    festival: Festival
    period: Period
    baseline: Period
    carriers: list[Carrier]
    days: list[dict]  # one per baseline and festival day: date, in_festival, totals, missing carriers
    gaps: list[Gap]
    provinces: list[ProvinceRow]
    coverage: list[Coverage]

    def _complete(self, in_festival):
        return [d for d in self.days if d["in_festival"] == in_festival and d["complete"]]

    @property
    def festival_per_day(self) -> int | None:
        days = self._complete(True)
        return round(sum(d["collected"] for d in days) / len(days)) if days else None

    @property
    def baseline_per_day(self) -> int | None:
        days = self._complete(False)
        return round(sum(d["collected"] for d in days) / len(days)) if days else None

    @property
    def lift(self) -> Decimal | None:
        return ratio(self.festival_per_day, self.baseline_per_day)

    @property
    def festival_collected(self) -> int:
        return sum(d["collected"] or 0 for d in self.days if d["in_festival"])

    @property
    def festival_rural_share(self) -> Decimal | None:
        days = [d for d in self.days if d["in_festival"] and d["collected"] is not None]
        return rural_share(
            sum(d["rural_collected"] for d in days),
            sum(d["rural_delivered"] for d in days),
            sum(d["collected"] for d in days),
            sum(d["delivered"] for d in days),
        )

    @property
    def incomplete_days(self) -> int:
        return sum(1 for d in self.days if d["begun"] and not d["complete"])

    def charts(self) -> dict:
        labels = [d["date"].isoformat() for d in self.days]
        complete = [d["collected"] if d["complete"] else None for d in self.days]
        incomplete = [d["collected"] if not d["complete"] and d["collected"] is not None else None for d in self.days]
        baseline_label = _("Baseline: %(days)d days before") % {"days": len(self.baseline)}
        top = self.provinces[:TOP_PROVINCES]
        return {
            "parcels_per_day": {
                "labels": labels,
                "datasets": [
                    {
                        "label": baseline_label,
                        "data": [v if not d["in_festival"] else None for v, d in zip(complete, self.days, strict=True)],
                        "colour": "#9ca3af",
                    },
                    {
                        "label": _("Festival days"),
                        "data": [v if d["in_festival"] else None for v, d in zip(complete, self.days, strict=True)],
                        "colour": "#c8102e",
                    },
                    {
                        "label": _("Incomplete: a carrier has not reported"),
                        "data": incomplete,
                        "colour": "#f59e0b",
                        "pattern": "incomplete",
                    },
                ],
            },
            "rural_share_per_day": {
                "labels": labels,
                "datasets": [
                    {
                        "label": _("Rural share (%)"),
                        "data": [str(d["rural_share"]) if d["rural_share"] is not None else None for d in self.days],
                        "colour": "#15803d",
                    }
                ],
            },
            "top_provinces": {
                "labels": [province_label(row.province) for row in top],
                "datasets": [
                    {"label": _("Parcels collected"), "data": [row.collected for row in top], "colour": "#c8102e"},
                    {"label": _("Parcels delivered"), "data": [row.delivered for row in top], "colour": "#2563eb"},
                ],
            },
            "coverage": {
                "labels": [province_label(row.province) for row in self.coverage],
                "datasets": [
                    {
                        "label": _("Townships with an express service point (%)"),
                        "data": [str(row.townships_share) for row in self.coverage],
                        "colour": "#2563eb",
                    },
                    {
                        "label": _("Villages with express service (%)"),
                        "data": [str(row.villages_share) for row in self.coverage],
                        "colour": "#10b981",
                    },
                ],
            },
        }


def expected_carriers(period: Period, reports=None) -> list[Carrier]:
    """Who should report each day: active carriers and any carrier that reported in the period (one query)."""
    reports = ParcelReport.objects.all() if reports is None else reports
    reported = reports.filter(carrier=OuterRef("pk"), date__range=(period.first, period.last))
    return list(Carrier.objects.filter(Q(active=True) | Exists(reported)).order_by("code"))


def latest_coverage(as_of: date, coverage=None) -> list[Coverage]:
    """Each province's coverage figures as of ``as_of`` (its latest entry on or before that day; one query);
    ``coverage``: only those rows (a team's scoped ones)."""
    coverage = Coverage.objects.all() if coverage is None else coverage
    latest = (
        Coverage.objects.filter(province=OuterRef("province"), date__lte=as_of).order_by("-date").values("date")[:1]
    )
    return list(coverage.filter(date=Subquery(latest)).select_related("province").order_by("province__code"))


def logistics_dashboard(festival: Festival, *, user=None, now=None) -> LogisticsDashboard:
    """The dashboard of ``festival``'s days, from what ``user``'s teams see (everything without a user)."""
    period, baseline, shown = festival_period(festival), baseline_before(festival), shown_period(festival)
    # A day that has not begun cannot have been reported: it is neither a gap nor incomplete.
    today = festival.local(now or timezone.now()).date()
    reports = ParcelReport.objects.all() if user is None else visible_parcel_reports(user)
    coverage_rows = Coverage.objects.all() if user is None else visible_coverage(user)

    # 1. totals per day (national, or the team's provinces)
    totals = {day.date: day for day in daily_totals(shown, reports=reports)}
    # 2. which carrier reported which day
    reported = set(
        reports.filter(date__range=(shown.first, shown.last)).values_list("carrier_id", "date").distinct().order_by()
    )
    # 3. the carriers expected to report
    carriers = expected_carriers(shown, reports)
    days = []
    for day in shown.days:
        total = totals.get(day)
        begun = day <= today
        missing = [carrier for carrier in carriers if (carrier.pk, day) not in reported] if begun else []
        days.append(
            {
                "date": day,
                "in_festival": day in period,
                "collected": total.collected if total else None,
                "delivered": total.delivered if total else None,
                "rural_collected": total.rural_collected if total else None,
                "rural_delivered": total.rural_delivered if total else None,
                "rural_share": total.rural_share if total else None,
                "carriers_reporting": total.carriers_reporting if total else 0,
                "missing": missing,
                "begun": begun,
                "complete": total is not None and not missing,
            }
        )
    gaps = [
        Gap(carrier, [d["date"] for d in days if carrier in d["missing"]])
        for carrier in carriers
        if any(carrier in d["missing"] for d in days)
    ]

    # 4. totals per province over the festival's days
    sums = {name: Sum(name) for name in ("collected", "delivered", "rural_collected", "rural_delivered")}
    province_rows = list(
        reports.filter(date__range=(period.first, period.last))
        .values("province_id")
        .annotate(**sums, n=Count("pk"))
        .order_by("-collected", "province_id")
    )
    # Only the provinces in the rows (the team's own, for a provincial team).
    names = Province.objects.in_bulk([row["province_id"] for row in province_rows])
    provinces = [
        ProvinceRow(
            names[row["province_id"]],
            row["collected"],
            row["delivered"],
            row["rural_collected"],
            row["rural_delivered"],
        )
        for row in province_rows
    ]

    # 5. coverage as of the festival's last day
    coverage = latest_coverage(period.last, coverage_rows)

    return LogisticsDashboard(
        festival=festival,
        period=period,
        baseline=baseline,
        carriers=carriers,
        days=days,
        gaps=gaps,
        provinces=provinces,
        coverage=coverage,
    )
