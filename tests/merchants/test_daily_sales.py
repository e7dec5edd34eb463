"""Reported sales per festival day (DailyResult, merchants.daily_sales) stay equal to a recount of
the reports after every kind of sales write, the dashboard reads them at the same query count for
one report or many, the nightly recount fixes drift, and concurrent reports lose nothing."""

import itertools
import random
import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from api.models import ApiScope
from api.services import create_api_key
from core.workflow import DomainError
from festival.models import DailyResult, FestivalStatus
from merchants import daily_sales, services
from merchants.models import SalesReport
from promotions.dashboard import festival_dashboard
from promotions.results import roll_up_daily_results, roll_up_festival
from tests.factories import (
    FestivalFactory,
    ParticipationFactory,
    SalesReportFactory,
    UncountedSalesReportFactory,
)
from tests.outages import race

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _api_settings(settings):
    """Generous API rates and a private cache: the walk posts many reports."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sales"}}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "key": "10000/min", "user": "10000/min"},
    }
    cache.clear()
    yield
    cache.clear()


def recount(festival_ids):
    """Sales per (festival, day) from the rows, in plain Python: gmv, orders, merchants reporting."""
    counts = {}
    for report in SalesReport.objects.filter(festival_id__in=festival_ids):
        gmv, orders, merchants = counts.get((report.festival_id, report.date), (Decimal("0"), 0, 0))
        counts[(report.festival_id, report.date)] = (gmv + report.gmv, orders + report.orders, merchants + 1)
    return counts


def assert_dashboard_true(edition, family, step=""):
    """The roll-up equals the recount, and so does every sales figure the dashboard shows."""
    ids = [f.pk for f in family]
    counted = recount(ids)
    assert daily_sales.stored_daily_sales(ids) == counted, step
    dashboard = festival_dashboard(edition)
    per_day, per_festival = {}, Counter()
    for (festival_id, day), (gmv, orders, _merchants) in counted.items():
        day_gmv, day_orders = per_day.get(day, (Decimal("0"), 0))
        per_day[day] = (day_gmv + gmv, day_orders + orders)
        per_festival[festival_id, "gmv"] += gmv
        per_festival[festival_id, "orders"] += orders
    chart = dashboard.daily_sales
    shown = {
        day: (Decimal(gmv), orders)
        for day, gmv, orders in zip(chart.labels, *chart.datasets.values(), strict=True)
        if gmv is not None
    }
    in_window = {day.isoformat(): figures for day, figures in per_day.items() if day.isoformat() in chart.labels}
    assert shown == in_window, step
    assert dashboard.total_gmv == sum((gmv for gmv, _o in per_day.values()), Decimal("0")), step
    assert dashboard.total_orders == sum(orders for _g, orders in per_day.values()), step
    for row in dashboard.breakdown:
        assert (row.gmv, row.orders) == (per_festival[row.festival.pk, "gmv"], per_festival[row.festival.pk, "orders"])


class World:
    """An edition with a sub-festival, both running: approved merchants in each, one not approved."""

    def __init__(self, rng):
        self.rng = rng
        self.edition = FestivalFactory(status=FestivalStatus.RUNNING)
        self.sub = FestivalFactory(
            parent=self.edition,
            status=FestivalStatus.RUNNING,
            starts_at=self.edition.starts_at,
            ends_at=self.edition.ends_at,
        )
        self.family = [self.edition, self.sub]
        self.merchants = {f.pk: [ParticipationFactory(festival=f).merchant for _ in range(3)] for f in self.family}
        self.outsider = ParticipationFactory(festival=self.edition, applied=True).merchant
        self.clients = {}

    def days(self, festival):
        first = festival.local(festival.starts_at).date()
        last = festival.local(festival.ends_at).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def figures(self):
        gmv = self.rng.choice(("0", "0.10", "0.20", "99.99", "1234.56", "100"))
        return Decimal(gmv), self.rng.choice((0, 1, 7, 250))

    def pick(self):
        festival = self.rng.choice(self.family)
        return festival, self.rng.choice(self.merchants[festival.pk]), self.rng.choice(self.days(festival)[:4])

    def client(self, merchant):
        if merchant.pk not in self.clients:
            _key, raw = create_api_key(name="sales", scopes=list(ApiScope.values), merchant=merchant)
            self.clients[merchant.pk] = APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        return self.clients[merchant.pk]

    # The writes -----------------------------------------------------------------------------

    def report(self):
        festival, merchant, day = self.pick()
        gmv, orders = self.figures()
        services.report_sales(merchant, festival, date=day, gmv=gmv, orders=orders)

    def report_by_api(self):
        festival, merchant, day = self.pick()
        gmv, orders = self.figures()
        body = {"festival": festival.slug, "date": day.isoformat(), "gmv": str(gmv), "orders": orders}
        response = self.client(merchant).post("/api/v1/sales-reports/", body, format="json")
        assert response.status_code in (200, 201), response.content

    def correct_late(self):
        """A correction of an earlier day's figure (the replace path), after the nightly job."""
        report = SalesReport.objects.filter(festival__in=self.family).order_by("?").first()
        if report:
            gmv, orders = self.figures()
            services.report_sales(report.merchant, report.festival, date=report.date, gmv=gmv, orders=orders)

    def refused(self):
        festival, merchant, day = self.pick()
        attempt = self.rng.choice(("outsider", "negative", "outside"))
        if attempt == "outsider":
            services.report_sales(self.outsider, self.edition, date=day, gmv="5", orders=1)
        elif attempt == "negative":
            services.report_sales(merchant, festival, date=day, gmv="-1", orders=1)
        else:
            services.report_sales(
                merchant, festival, date=self.days(festival)[-1] + timedelta(days=1), gmv="5", orders=1
            )

    def nightly(self):
        now = self.edition.local(self.edition.starts_at) + timedelta(days=self.rng.randint(0, 3), hours=1)
        if self.rng.random() < 0.5:
            roll_up_festival(self.rng.choice(self.family), now=now)
        else:
            roll_up_daily_results(now=now)

    OPERATIONS = (*["report"] * 4, *["report_by_api"] * 2, *["correct_late"] * 2, "refused", "nightly")


def test_the_days_sales_equal_a_recount_after_every_kind_of_sales_write():
    done = Counter()

    for seed in range(3):
        world = World(random.Random(seed))
        for step in range(40):
            operation = world.rng.choice(World.OPERATIONS)
            try:
                getattr(world, operation)()
                done[operation] += 1
            except (DomainError, ValidationError):
                done[f"{operation} refused"] += 1
            assert_dashboard_true(world.edition, world.family, f"seed {seed}, step {step}: {operation}")

    assert {"report", "report_by_api", "correct_late", "nightly", "refused refused"} <= set(done), done
    assert "refused" not in done, done  # every refusal was refused


def test_todays_report_shows_at_once_and_a_correction_replaces_it():
    participation = ParticipationFactory()
    merchant, festival = participation.merchant, participation.festival
    day = festival.local(festival.starts_at).date()

    services.report_sales(merchant, festival, date=day, gmv="100.50", orders=3)
    first = DailyResult.objects.get(festival=festival, date=day)
    services.report_sales(merchant, festival, date=day, gmv="80.25", orders=2)
    corrected = DailyResult.objects.get(festival=festival, date=day)

    assert (first.gmv, first.orders, first.merchants_reporting) == (Decimal("100.50"), 3, 1)
    assert (corrected.gmv, corrected.orders, corrected.merchants_reporting) == (Decimal("80.25"), 2, 1)
    assert festival_dashboard(festival).total_gmv == Decimal("80.25")


def test_a_day_the_nightly_job_wrote_without_reports_is_a_gap_not_zero():
    participation = ParticipationFactory()
    festival = participation.festival
    first = festival.local(festival.starts_at).date()
    services.report_sales(participation.merchant, festival, date=first, gmv="10", orders=1)

    roll_up_festival(festival, now=festival.starts_at + timedelta(days=2, hours=1))

    assert DailyResult.objects.filter(festival=festival, merchants_reporting=0).exists()
    gmv = festival_dashboard(festival).daily_sales.datasets["Sales (CNY)"]
    assert gmv[:3] == ["10.00", None, None]


@pytest.mark.parametrize("reports", [1, 12])
def test_the_dashboard_reads_the_days_roll_up_at_the_same_cost_for_one_report_or_many(reports):
    festival = FestivalFactory()
    days = [festival.local(festival.starts_at).date() + timedelta(days=n % 3) for n in range(reports)]
    for day in days:
        SalesReportFactory(festival=festival, date=day)

    with CaptureQueriesContext(connection) as queries:
        dashboard = festival_dashboard(festival)

    assert dashboard.total_orders == 100 * reports
    assert len(queries) == 9  # as many for 1 report as for 12
    assert not [q["sql"] for q in queries if '"merchants_salesreport"' in q["sql"]]  # never the reports


def test_the_recount_fixes_drift_and_logs_it(caplog):
    festival = FestivalFactory()
    day = festival.local(festival.starts_at).date()
    SalesReportFactory(festival=festival, date=day, gmv=Decimal("5.00"), orders=1)
    UncountedSalesReportFactory(festival=festival, date=day + timedelta(days=1))  # a bulk load, past the services
    DailyResult.objects.filter(date=day).update(orders=99)  # and a row gone wrong
    DailyResult.objects.create(festival=festival, date=day + timedelta(days=2), gmv=7, orders=7, merchants_reporting=1)

    drift = daily_sales.rebuild_daily_sales()

    assert drift == 3
    assert "3 days had drifted" in caplog.text
    assert daily_sales.stored_daily_sales([festival.pk]) == recount([festival.pk])
    assert daily_sales.rebuild_daily_sales() == 0


def test_the_nightly_job_recounts_the_festivals_it_does_not_roll_up():
    closed_long_ago = FestivalFactory(status=FestivalStatus.CLOSED)
    UncountedSalesReportFactory(festival=closed_long_ago)

    roll_up_daily_results(now=closed_long_ago.ends_at + timedelta(days=60))

    assert daily_sales.stored_daily_sales([closed_long_ago.pk]) == recount([closed_long_ago.pk])


def test_the_migration_fills_the_days_sales_of_an_upgraded_database():
    from django.db.migrations.executor import MigrationExecutor

    festival = FestivalFactory()
    day = festival.local(festival.starts_at).date()
    for _ in range(2):
        UncountedSalesReportFactory(festival=festival, date=day, gmv=Decimal("1.10"))
    UncountedSalesReportFactory(festival=festival, date=day + timedelta(days=1), orders=3)
    DailyResult.objects.create(festival=festival, date=day, promotions_live=4)  # written by an old nightly job
    DailyResult.objects.create(festival=festival, date=day + timedelta(days=5), gmv=9, orders=9, merchants_reporting=9)

    executor = MigrationExecutor(connection)
    backfill = executor.loader.get_migration("merchants", "0009_backfill_daily_sales")
    state = executor.loader.project_state(("merchants", "0009_backfill_daily_sales"))
    backfill.operations[0].code(state.apps, None)

    assert daily_sales.stored_daily_sales([festival.pk]) == recount([festival.pk])
    assert DailyResult.objects.get(festival=festival, date=day).promotions_live == 4  # the rest left alone


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_of_one_day_lose_nothing():
    festival = FestivalFactory()
    day = festival.local(festival.starts_at).date()
    merchants = [ParticipationFactory(festival=festival).merchant for _ in range(2)]
    rounds = itertools.count()

    def report():
        n = next(rounds)  # two threads per merchant: its first report, and replacing it
        services.report_sales(merchants[n % 2], festival, date=day, gmv=Decimal(n), orders=n)

    for _ in range(3):
        _done, errors = race(report, threads=4)
        assert errors == []

    assert daily_sales.stored_daily_sales([festival.pk]) == recount([festival.pk])
    assert DailyResult.objects.get().merchants_reporting == 2


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_recount_never_overwrites_a_report_made_while_it_counts(monkeypatch):
    festival = FestivalFactory()
    day = festival.local(festival.starts_at).date()
    merchant = ParticipationFactory(festival=festival).merchant
    services.report_sales(merchant, festival, date=day, gmv="1.00", orders=1)
    counted, reported = threading.Event(), threading.Event()
    count = daily_sales.counted_daily_sales

    def count_slowly(festival_ids):
        figures = count(festival_ids)
        counted.set()
        reported.wait(2)  # a report made now, before the recount writes, is what it must not undo
        return figures

    monkeypatch.setattr(daily_sales, "counted_daily_sales", count_slowly)
    rounds = itertools.count()

    def work():
        if next(rounds) == 0:
            return daily_sales.rebuild_daily_sales()
        counted.wait(5)
        services.report_sales(merchant, festival, date=day, gmv="5.00", orders=5)
        reported.set()
        return 0

    drifts, errors = race(work, threads=2)

    assert errors == []
    assert drifts == [0, 0]  # the deltas were exact: nothing to fix
    assert daily_sales.stored_daily_sales([festival.pk]) == {(festival.pk, day): (Decimal("5.00"), 5, 1)}
