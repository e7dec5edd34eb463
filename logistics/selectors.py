"""Reads of parcel figures: totals per day (national) and per day and province, never
per carrier except a carrier's own rows. Each read is one aggregate query, so the
cost does not grow with the number of reports.

Who sees which rows in the admin (issue 14): the scoping selectors below, registered in
festival/scoping.py's registry. Parcel data is per province, not per festival: the national
teams (an organiser without a province: 商务部, 国家邮政局) see every province's, a provincial
team (浙江省商务厅) only its province's reports, replaced versions and coverage; carriers are a
reference table every team reads (festival/roles.py keeps the provincial teams read-only).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, Q, QuerySet, Sum

from festival import scoping
from festival.models import Province

from .models import COUNT_FIELDS, Carrier, Coverage, ParcelReport, ParcelReportVersion
from .periods import Period, baseline_before, festival_period

SHARE = Decimal("0.1")


def rural_share(rural_collected, rural_delivered, collected, delivered) -> Decimal | None:
    """Percent of the parcels collected or delivered that were collected or delivered in rural
    areas (the bureau's "rural pick-up and delivery"); None when nothing was handled."""
    handled = (collected or 0) + (delivered or 0)
    if not handled:
        return None
    return (Decimal((rural_collected or 0) + (rural_delivered or 0)) * 100 / handled).quantize(SHARE)


def ratio(numerator, denominator) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"))


@dataclass
class DayTotal:
    date: date
    collected: int
    delivered: int
    rural_collected: int
    rural_delivered: int
    carriers_reporting: int
    province: str | None = None

    @property
    def rural_share(self) -> Decimal | None:
        return rural_share(self.rural_collected, self.rural_delivered, self.collected, self.delivered)

    def as_dict(self) -> dict:
        data = {"date": self.date}
        if self.province is not None:
            data["province"] = self.province
        data.update({name: getattr(self, name) for name in COUNT_FIELDS})
        data["rural_share"] = self.rural_share
        data["carriers_reporting"] = self.carriers_reporting
        return data


# Scoping (festival/scoping.py) ---------------------------------------------------------------


def province_q(user, *, perm=None, field="province") -> Q | None:
    """Q for rows whose ``field`` (a province foreign key path) is a province the user's teams
    see: every province for a national team, its own for a provincial one; None means no bound
    (a superuser). Subqueries only, so a scoped list costs what an unscoped one does."""
    ids = scoping.organiser_ids(user, perm)
    if ids is scoping.ALL:
        return None
    ids = list(ids)
    if not ids:
        return Q(pk__in=[])
    national = Exists(scoping.national_organisers(ids))
    own = scoping.provincial_organisers(ids).values("province_id")
    return national | Q(**{f"{field}__in": own})


def visible_parcel_reports(user, *, perm=None, queryset=None) -> QuerySet[ParcelReport]:
    base = ParcelReport.objects.all() if queryset is None else queryset
    return scoping.scope(base, province_q(user, perm=perm))


def visible_parcel_report_versions(user, *, perm=None, queryset=None) -> QuerySet[ParcelReportVersion]:
    base = ParcelReportVersion.objects.all() if queryset is None else queryset
    return scoping.scope(base, province_q(user, perm=perm, field="report__province"))


def visible_coverage(user, *, perm=None, queryset=None) -> QuerySet[Coverage]:
    base = Coverage.objects.all() if queryset is None else queryset
    return scoping.scope(base, province_q(user, perm=perm))


def parcel_provinces(user) -> QuerySet[Province]:
    """The provinces whose parcel data the user sees (the admin's province filter offers these)."""
    return scoping.scope(Province.objects.all(), province_q(user, field="pk"))


scoping.register(Carrier, scoping.visible_reference(Carrier))
scoping.register(ParcelReport, visible_parcel_reports)
scoping.register(ParcelReportVersion, visible_parcel_report_versions)
scoping.register(Coverage, visible_coverage)


# Figures -------------------------------------------------------------------------------------


def _sums():
    return {name: Sum(name) for name in COUNT_FIELDS}


def reports_in(period: Period | None = None, *, day=None, province=None, carrier=None, reports=None):
    """Reports of a period, day, province or carrier; ``reports`` is the starting queryset
    (the user's scoped reports in the admin), every report by default."""
    reports = ParcelReport.objects.all() if reports is None else reports
    if period is not None:
        reports = reports.filter(date__range=(period.first, period.last))
    if day is not None:
        reports = reports.filter(date=day)
    if province is not None:
        reports = reports.filter(province_id=province)
    if carrier is not None:
        reports = reports.filter(carrier=carrier)
    return reports


def daily_totals(period: Period | None = None, *, day=None, province=None, reports=None) -> list[DayTotal]:
    """National totals per day (one query): the sums of every carrier's reports, and how many carriers reported
    (``reports``: only those, e.g. a team's scoped reports)."""
    rows = (
        reports_in(period, day=day, province=province, reports=reports)
        .values("date")
        .annotate(**_sums(), carriers=Count("carrier_id", distinct=True))
        .order_by("date")
    )
    return [
        DayTotal(row["date"], *(row[name] for name in COUNT_FIELDS), carriers_reporting=row["carriers"]) for row in rows
    ]


def province_daily_totals(period: Period | None = None, *, day=None, province=None) -> list[DayTotal]:
    """Totals per day and province (one query)."""
    rows = (
        reports_in(period, day=day, province=province)
        .values("date", "province_id")
        .annotate(**_sums(), carriers=Count("carrier_id", distinct=True))
        .order_by("date", "province_id")
    )
    return [
        DayTotal(
            row["date"],
            *(row[name] for name in COUNT_FIELDS),
            carriers_reporting=row["carriers"],
            province=row["province_id"],
        )
        for row in rows
    ]


def own_reports(carrier, period: Period | None = None, *, day=None, province=None):
    """A carrier's own rows (the only per-carrier read there is)."""
    return reports_in(period, day=day, province=province, carrier=carrier).order_by("date", "province_id")


# The public results ----------------------------------------------------------------------


@dataclass
class FestivalParcels:
    """Parcels per festival day with the rural share, and the festival's lift over the
    same number of days just before it."""

    days: list[DayTotal]
    baseline_days: list[DayTotal]
    period: Period
    baseline: Period

    @property
    def collected(self) -> int:
        return sum(day.collected for day in self.days)

    @property
    def delivered(self) -> int:
        return sum(day.delivered for day in self.days)

    @property
    def rural_share(self) -> Decimal | None:
        return rural_share(
            sum(d.rural_collected for d in self.days),
            sum(d.rural_delivered for d in self.days),
            self.collected,
            self.delivered,
        )

    def _complete(self, days) -> list[DayTotal]:
        """The days every carrier of the period reported: a missing report is a gap, never a zero,
        so a day some carrier has not reported is left out of the averages."""
        carriers = max((day.carriers_reporting for day in (*self.days, *self.baseline_days)), default=0)
        return [day for day in days if day.carriers_reporting == carriers]

    @staticmethod
    def _average(days) -> int | None:
        return round(sum(day.collected for day in days) / len(days)) if days else None

    @property
    def per_day(self) -> int | None:
        return self._average(self._complete(self.days))

    @property
    def baseline_per_day(self) -> int | None:
        return self._average(self._complete(self.baseline_days))

    @property
    def lift(self) -> Decimal | None:
        """Parcels collected per festival day over those per baseline day (complete days only)."""
        return ratio(self.per_day, self.baseline_per_day)

    def __bool__(self) -> bool:
        return bool(self.days)

    def chart(self) -> dict:
        return {
            "labels": [day.date.isoformat() for day in self.days],
            "collected": [day.collected for day in self.days],
            "delivered": [day.delivered for day in self.days],
            "rural_share": [str(day.rural_share) if day.rural_share is not None else None for day in self.days],
        }


def festival_parcels(festival) -> FestivalParcels:
    """The festival's days and the baseline before it, from one query."""
    period, baseline = festival_period(festival), baseline_before(festival)
    totals = daily_totals(Period(baseline.first, period.last))
    return FestivalParcels(
        days=[day for day in totals if day.date in period],
        baseline_days=[day for day in totals if day.date in baseline],
        period=period,
        baseline=baseline,
    )
