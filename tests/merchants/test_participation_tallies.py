"""The participation roll-ups (merchants.tallies) stay equal to a recount of the rows after every
participation service and merchant kind change, the dashboard reads them at the same query count
for one participation or many, the recount fixes drift, and concurrent changes lose nothing."""

import itertools
import random
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.workflow import DomainError, TransitionNotAllowed
from merchants import services, tallies
from merchants.models import (
    MerchantKind,
    Participation,
    ParticipationCategoryTally,
    ParticipationStatus,
    ParticipationTally,
)
from promotions.dashboard import festival_dashboard
from tests.factories import CategoryFactory, FestivalFactory, MerchantFactory, ParticipationFactory, ReviewerFactory
from tests.outages import race

pytestmark = pytest.mark.django_db

P = ParticipationStatus


def recount():
    """Per (festival, status, kind) and per (festival, status, category), from the rows in Python."""
    kinds, claims = Counter(), Counter()
    for participation in Participation.objects.select_related("merchant").prefetch_related("categories"):
        kinds[(participation.festival_id, participation.status, participation.merchant.kind)] += 1
        for category in participation.categories.all():
            claims[(participation.festival_id, participation.status, category.pk)] += 1
    return kinds, claims


def stored():
    kinds = ParticipationTally.objects.values_list("festival_id", "status", "merchant_kind", "count")
    claims = ParticipationCategoryTally.objects.values_list("festival_id", "status", "category_id", "count")
    return Counter({tuple(row[:-1]): row[-1] for row in kinds if row[-1]}), Counter(
        {tuple(row[:-1]): row[-1] for row in claims if row[-1]}
    )


def assert_tallies_true(edition, step=""):
    kinds, claims = recount()
    assert stored() == (kinds, claims), step
    dashboard = festival_dashboard(edition)
    family = {edition.pk, *edition.sub_festivals.values_list("pk", flat=True)}
    by_status = Counter()
    for (festival_id, status, _kind), n in kinds.items():
        if festival_id in family:
            by_status[status] += n
    assert dashboard.participations_by_status == {s: by_status[s] for s in P.values}, step
    counted = (P.APPLIED, P.APPROVED)
    per_kind = [
        [sum(n for (f, s, k), n in kinds.items() if f in family and s == status and k == kind) for kind in MerchantKind]
        for status in counted
    ]
    assert list(dashboard.merchants_by_kind.datasets.values()) == per_kind, step
    per_category = Counter()
    for (festival_id, status, category_id), n in claims.items():
        if festival_id in family and status in counted:
            per_category[category_id] += n
    assert sorted(next(iter(dashboard.merchants_by_category.datasets.values()), [])) == sorted(
        n for n in per_category.values() if n
    ), step


class World:
    """An edition with a sub-festival, both taking applications; merchants of several kinds."""

    def __init__(self, rng):
        self.rng = rng
        self.reviewer = ReviewerFactory()
        self.edition = FestivalFactory()
        self.sub = FestivalFactory(parent=self.edition)
        self.family = [self.edition, self.sub]
        self.categories = [CategoryFactory() for _ in range(3)]
        kinds = [MerchantKind.CATERING, MerchantKind.TOURISM, MerchantKind.BRAND_ENTERPRISE]
        self.merchants = [MerchantFactory(kind=kinds[n % 3]) for n in range(4)]

    def any(self, *statuses):
        rows = list(Participation.objects.filter(festival__in=self.family, status__in=statuses).order_by("pk"))
        return self.rng.choice(rows) if rows else None

    def apply(self):
        """New, again after a rejection (new claims), or refused as a duplicate."""
        categories = self.rng.sample(self.categories, self.rng.randint(1, 3))
        services.apply_to_festival(self.rng.choice(self.merchants), self.rng.choice(self.family), categories=categories)

    def approve(self):
        participation = self.any(P.APPLIED, P.APPROVED)  # an approved one is refused
        if participation:
            services.approve_participation(participation, by=self.reviewer)

    def reject(self):
        participation = self.any(P.APPLIED)
        if participation:
            services.reject_participation(participation, by=self.reviewer, reason="Not eligible")

    def withdraw(self):
        participation = self.any(P.APPLIED, P.APPROVED, P.WITHDRAWN)  # a withdrawn one is refused
        if participation:
            services.withdraw_participation(participation)

    def change_kind(self):
        merchant = self.rng.choice(self.merchants)
        merchant.refresh_from_db()
        merchant.kind = self.rng.choice(MerchantKind.values)
        services.save_merchant(merchant, by=self.reviewer)

    OPERATIONS = (*["apply"] * 4, *["approve"] * 2, "reject", "withdraw", "change_kind")


def test_the_participation_tallies_equal_a_recount_after_every_service_operation():
    done, seen = Counter(), set()

    for seed in range(3):
        world = World(random.Random(seed))
        for step in range(50):
            operation = world.rng.choice(World.OPERATIONS)
            try:
                getattr(world, operation)()
                done[operation] += 1
            except (DomainError, TransitionNotAllowed, PermissionDenied):
                done[f"{operation} refused"] += 1
            assert_tallies_true(world.edition, f"seed {seed}, step {step}: {operation}")
            seen |= set(Participation.objects.values_list("status", flat=True))

    assert set(P.values) <= seen, (seen, done)
    assert done["apply refused"] and done["approve refused"] and done["change_kind"], done


def test_applying_again_after_a_rejection_moves_the_claims():
    reviewer = ReviewerFactory()
    festival, (food, tea) = FestivalFactory(), [CategoryFactory() for _ in range(2)]
    merchant = MerchantFactory(kind=MerchantKind.CATERING)
    participation = services.apply_to_festival(merchant, festival, categories=[food])
    services.reject_participation(participation, by=reviewer, reason="Wrong category")

    services.apply_to_festival(merchant, festival, categories=[tea])

    assert stored() == (
        Counter({(festival.pk, P.APPLIED, MerchantKind.CATERING): 1}),
        Counter({(festival.pk, P.APPLIED, tea.pk): 1}),
    )


@pytest.mark.parametrize("participations", [1, 6])
def test_the_dashboard_reads_the_participation_roll_ups_at_the_same_cost(participations):
    festival, category = FestivalFactory(), CategoryFactory()
    for n in range(participations):
        ParticipationFactory(festival=festival, applied=bool(n % 2), categories=[category])

    with CaptureQueriesContext(connection) as queries:
        dashboard = festival_dashboard(festival)

    assert sum(dashboard.participations_by_status.values()) == participations
    assert next(iter(dashboard.merchants_by_category.datasets.values())) == [participations]
    assert len(queries) == 9  # as many for one participation as for six
    raw = [
        q["sql"] for q in queries if '"merchants_participation"' in q["sql"] or "_participation_categories" in q["sql"]
    ]
    assert raw == []  # never the participations or their claims


def test_the_recount_fixes_drift_and_logs_it(caplog):
    festival, category = FestivalFactory(), CategoryFactory()
    participation = ParticipationFactory(festival=festival, categories=[category])
    Participation.objects.filter(pk=participation.pk).update(status=P.WITHDRAWN)  # past the services
    ParticipationTally.objects.create(festival=festival, status=P.REJECTED, merchant_kind="tourism", count=3)

    drift = tallies.rebuild_participation_tallies()

    assert drift == 5  # approved and withdrawn (kind and claim), and the made-up row
    assert "5 rows had drifted" in caplog.text
    assert stored() == recount()
    assert tallies.rebuild_participation_tallies() == 0


def test_the_migration_fills_the_tallies_of_an_upgraded_database():
    from django.db.migrations.executor import MigrationExecutor

    category = CategoryFactory()
    ParticipationFactory(categories=[category])
    ParticipationFactory(applied=True, merchant__kind=MerchantKind.TOURISM)
    expected = stored()
    ParticipationTally.objects.all().delete()
    ParticipationCategoryTally.objects.all().delete()

    executor = MigrationExecutor(connection)
    backfill = executor.loader.get_migration("merchants", "0011_backfill_participation_tallies")
    state = executor.loader.project_state(("merchants", "0011_backfill_participation_tallies"))
    backfill.operations[0].code(state.apps, None)

    assert expected[0] and expected[1]
    assert stored() == expected == recount()


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_and_kind_changes_lose_nothing():
    reviewer = ReviewerFactory()
    festival, category = FestivalFactory(), CategoryFactory()
    merchants = [MerchantFactory(kind=MerchantKind.CATERING) for _ in range(3)]
    for merchant in merchants:
        services.apply_to_festival(merchant, festival, categories=[category])
    rounds = itertools.count()

    def work():
        n = next(rounds)
        merchant = merchants[n % 3]
        if n % 2:  # a kind change beside a decision on the same merchant's participation
            merchant = type(merchant).objects.get(pk=merchant.pk)
            merchant.kind = MerchantKind.TOURISM if merchant.kind == MerchantKind.CATERING else MerchantKind.CATERING
            return services.save_merchant(merchant, by=reviewer)
        participation = Participation.objects.get(merchant=merchant)
        if participation.status == P.APPLIED:
            return services.approve_participation(participation, by=reviewer)
        return services.withdraw_participation(participation)

    for _ in range(4):
        _done, errors = race(work, threads=4)
        assert [e for e in errors if not isinstance(e, TransitionNotAllowed)] == []

    assert stored() == recount()
