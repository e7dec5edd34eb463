"""The dashboard's roll-ups (promotions.tallies) stay equal to a recount of the rows after every
service operation, the dashboard costs the same queries at any size, and rebuild_tallies fixes drift."""

import random
from collections import Counter
from datetime import UTC, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from core.workflow import DomainError
from merchants import services as merchant_services
from merchants.models import Participation, ParticipationStatus
from promotions import services, tallies
from promotions.dashboard import festival_dashboard
from promotions.models import (
    CategoryTally,
    ItemCheckTally,
    Promotion,
    PromotionEvent,
    PromotionItem,
    PromotionKind,
    PromotionStatus,
    PromotionTally,
)
from tests.factories import (
    CategoryFactory,
    FestivalFactory,
    ParticipationFactory,
    ProductFactory,
    PromotionFactory,
    PromotionItemFactory,
    ReviewerFactory,
)
from tests.outages import race
from tests.promotions.pricing_helpers import START, festival, price

pytestmark = pytest.mark.django_db

S = PromotionStatus
NOW = START - timedelta(days=10)
LONDON = ZoneInfo("Europe/London")


def recount_promotions():
    """Promotions per (festival, status, kind, start day in the festival's zone), from the rows."""
    counts = Counter()
    for promotion in Promotion.objects.select_related("festival"):
        day = promotion.starts_at.astimezone(promotion.festival.tz).date()
        counts[(promotion.festival_id, promotion.status, promotion.kind, day)] += 1
    return counts


def recount_items():
    rows = (
        PromotionItem.objects.exclude(promotion__status=S.DRAFT)
        .values_list("promotion__festival_id", "check_status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return Counter({(festival_id, status): n for festival_id, status, n in rows})


def recount_categories():
    """Promotions per (festival, top-level category, status, listed): once per family, listed when
    the merchant's participation in the festival is approved (the public site's rule)."""
    approved = set(
        Participation.objects.filter(status=ParticipationStatus.APPROVED).values_list("merchant_id", "festival_id")
    )
    counts = Counter()
    for promotion in Promotion.objects.prefetch_related("categories"):
        families = {category.parent_id or category.pk for category in promotion.categories.all()}
        listed = (promotion.merchant_id, promotion.festival_id) in approved
        for family in families:
            counts[(promotion.festival_id, family, promotion.status, listed)] += 1
    return counts


def stored(model, *key):
    return Counter({tuple(row[:-1]): row[-1] for row in model.objects.values_list(*key, "count") if row[-1]})


def assert_tallies_true(step=""):
    assert stored(PromotionTally, "festival_id", "status", "kind", "starts_on") == recount_promotions(), step
    assert stored(ItemCheckTally, "festival_id", "check_status") == recount_items(), step
    assert stored(CategoryTally, "festival_id", "category_id", "status", "listed") == recount_categories(), step


class World:
    """Two festivals (Beijing and London time), a merchant in each with products priced 100."""

    def __init__(self, rng):
        self.rng = rng
        self.reviewer = ReviewerFactory()
        self.festivals = [festival(), festival(time_zone="Europe/London")]
        self.merchants, self.products, self.repriced = {}, {}, 0
        for fest in self.festivals:
            merchant = ParticipationFactory(festival=fest).merchant
            self.merchants[fest.pk] = merchant
            self.products[fest.pk] = [ProductFactory(merchant=merchant) for _ in range(4)]
            for product in self.products[fest.pk]:
                price(product, "100.00", START - timedelta(days=20))
        # Two families: a promotion in a parent and its child, or in two children, counts once.
        food, home = CategoryFactory(), CategoryFactory()
        self.categories = [food, home, CategoryFactory(parent=food), CategoryFactory(parent=food)]
        self.categories.append(CategoryFactory(parent=home))

    def some_categories(self):
        return self.rng.sample(self.categories, self.rng.randint(0, 3))

    def items(self, fest):
        # 80 passes (20% off 100), 99 fails (1% off)
        chosen = self.rng.sample(self.products[fest.pk], self.rng.randint(1, 3))
        return [{"product": p, "promo_price": Decimal(self.rng.choice(("80.00",) * 5 + ("99.00",)))} for p in chosen]

    def window(self, fest):
        # Starts around local midnight, so a day counted in UTC instead of the festival's zone shows.
        day = self.rng.randint(0, 5)
        local = START.astimezone(fest.tz).replace(hour=0, minute=0) + timedelta(days=day)
        starts = local + timedelta(minutes=self.rng.choice((-30, 30, 600)))
        starts = max(starts, fest.starts_at)
        return starts, starts + timedelta(days=self.rng.randint(1, 3))

    def kind_fields(self):
        kind = self.rng.choice((PromotionKind.PERCENT_OFF, PromotionKind.FLASH_SALE))
        if kind == PromotionKind.PERCENT_OFF:
            return {"kind": kind, "percent_off": Decimal("20")}
        return {"kind": kind, "flash_quantity": 10}

    def any(self, *statuses):
        promotions = list(Promotion.objects.filter(festival__in=self.festivals, status__in=statuses).order_by("pk"))
        return self.rng.choice(promotions) if promotions else None

    # The operations ---------------------------------------------------------------------------

    def create(self):
        fest = self.rng.choice(self.festivals)
        starts, ends = self.window(fest)
        services.create_promotion(
            merchant=self.merchants[fest.pk],
            festival=fest,
            title="Random",
            starts_at=starts,
            ends_at=ends,
            items=self.items(fest),
            categories=self.some_categories(),
            now=NOW,
            **self.kind_fields(),
        )

    def update(self):
        promotion = self.any(S.DRAFT, S.CHANGES_REQUESTED)
        if promotion:
            starts, ends = self.window(promotion.festival)
            fields = self.rng.choice(
                (
                    self.kind_fields(),
                    {"starts_at": starts, "ends_at": ends},
                    {"items": self.items(promotion.festival)},
                    {"categories": self.some_categories()},
                )
            )
            services.update_promotion(promotion, **fields)

    def submit(self):
        promotion = self.any(S.DRAFT, S.CHANGES_REQUESTED)
        if promotion:
            services.submit_promotion(promotion, now=NOW)

    def approve(self):
        promotion = self.any(S.SUBMITTED)
        if promotion:
            services.approve_promotion(promotion, by=self.reviewer, now=NOW)

    def request_changes(self):
        promotion = self.any(S.SUBMITTED)
        if promotion:
            services.request_changes(promotion, by=self.reviewer, note="Lower the price", now=NOW)

    def cancel(self):
        promotion = self.any(S.SUBMITTED, S.APPROVED, S.LIVE)
        if promotion:
            services.cancel_promotion(promotion, by=self.reviewer, reason="Complaint", now=NOW)

    def withdraw(self):
        promotion = self.any(S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.APPROVED, S.LIVE)
        if promotion:
            services.withdraw_promotion(promotion, now=NOW)

    def delete(self):
        promotion = self.any(S.DRAFT, S.CHANGES_REQUESTED)
        if promotion:
            services.delete_promotion(promotion)

    def clock(self):
        moment = START + timedelta(hours=self.rng.randint(0, 24 * 9))
        approved = self.any(S.APPROVED)
        if approved and self.rng.random() < 0.5:  # often inside a window, so promotions go live
            moment = approved.starts_at + timedelta(hours=1)
        services.start_due_promotions(now=moment, batch_size=self.rng.choice((1, 2, 100)))
        services.end_due_promotions(now=moment, batch_size=self.rng.choice((1, 2, 100)))

    def recategorise(self):
        """An organiser edits a promotion's categories in the admin (its form saves the relation)."""
        promotion = self.any(*S.values)
        if promotion:
            change = self.rng.choice(("set", "add", "remove", "clear", "from the category"))
            chosen = self.some_categories()
            if change == "set":
                promotion.categories.set(chosen)
            elif change == "add":
                promotion.categories.add(*chosen)
            elif change == "remove":
                promotion.categories.remove(*chosen)
            elif change == "clear":
                promotion.categories.clear()
            else:
                self.rng.choice(self.categories).promotions.add(promotion)

    def participation(self):
        """The merchant's participation leaves "approved" (withdrawn, or set back by an organiser's
        form) or is approved again: all its promotions there leave or rejoin the public counts."""
        participation = Participation.objects.get(merchant=self.merchants[self.rng.choice(self.festivals).pk])
        if participation.status == ParticipationStatus.APPROVED:
            if self.rng.random() < 0.5:
                merchant_services.withdraw_participation(participation)
            else:
                participation.status = ParticipationStatus.APPLIED
                participation.save()
        else:
            participation.status = ParticipationStatus.APPLIED
            participation.save(update_fields=["status"])
            merchant_services.approve_participation(participation, by=self.reviewer)

    def reprice(self):
        fest = self.rng.choice(self.festivals)
        product = self.rng.choice(self.products[fest.pk])
        self.repriced += 1  # one price per instant
        price(product, self.rng.choice(("82.00", "90.00", "120.00")), NOW - timedelta(minutes=self.repriced))
        services.refresh_checks_for_products([product.pk], now=NOW)

    # Weighted so the walk builds up promotions in every status rather than deleting them all.
    OPERATIONS = (
        *["create"] * 4,
        "update",
        *["submit"] * 4,
        *["approve"] * 3,
        "request_changes",
        "cancel",
        "withdraw",
        "delete",
        *["clock"] * 3,
        *["reprice"] * 2,
        *["recategorise"] * 2,
        "participation",
    )


def test_the_tallies_equal_a_recount_after_every_service_operation():
    done, seen = Counter(), set()

    for seed in range(4):  # four random walks, each in two festivals of its own
        world = World(random.Random(seed))
        for step in range(80):
            operation = world.rng.choice(World.OPERATIONS)
            try:
                getattr(world, operation)()
                done[operation] += 1
            except (DomainError, ValidationError, PermissionDenied):
                done[f"{operation} refused"] += 1
            assert_tallies_true(f"seed {seed}, step {step}: {operation}")
            seen |= set(PromotionEvent.objects.values_list("to_status", flat=True))
            seen |= {"items counted"} if recount_items() else set()

            seen |= {"listed", "unlisted"} & {"listed" if key[3] else "unlisted" for key in recount_categories()}

    # The walks went everywhere: every status, with items counted, listed and not, and refusals rolled back.
    assert {*S.values, "items counted", "listed", "unlisted"} <= seen, (seen, done)
    assert done["submit refused"] and done["approve"], done


def item_tally(fest):
    return {status: n for status, n in fest.item_check_tallies.values_list("check_status", "count") if n}


def submitted_world():
    """A festival with a submitted promotion of two passing items and a draft of one."""
    world = World(random.Random(0))
    fest = world.festivals[0]
    products = world.products[fest.pk]
    starts, ends = START + timedelta(hours=1), START + timedelta(days=2)
    promotions = [
        services.create_promotion(
            merchant=world.merchants[fest.pk],
            festival=fest,
            title=title,
            kind=PromotionKind.PERCENT_OFF,
            percent_off=Decimal("20"),
            starts_at=starts,
            ends_at=ends,
            items=[{"product": p, "promo_price": Decimal("80.00")} for p in chosen],
            now=NOW,
        )
        for title, chosen in (("Submitted", products[:2]), ("Draft", products[2:3]))
    ]
    services.submit_promotion(promotions[0], now=NOW)
    return world, fest, products, promotions


def test_a_new_price_that_fails_a_submitted_item_moves_it_in_the_tally():
    _world, fest, products, _promotions = submitted_world()
    assert item_tally(fest) == {"warning": 2}  # priced 100 before the lookback window: a warning

    price(products[0], "82.00", NOW - timedelta(hours=1))  # 80 is now only 2.4% off
    price(products[2], "82.00", NOW - timedelta(hours=1))  # the draft's: not counted
    services.refresh_checks_for_products([products[0].pk, products[2].pk], now=NOW)

    assert item_tally(fest) == {"warning": 1, "fail": 1}
    assert_tallies_true()


def test_new_items_of_a_promotion_with_changes_requested_replace_its_counted_ones():
    world, fest, products, (promotion, _draft) = submitted_world()
    services.request_changes(promotion, by=world.reviewer, note="One item only", now=NOW)

    services.update_promotion(promotion, items=[{"product": products[3], "promo_price": Decimal("70.00")}])

    assert item_tally(fest) == {"": 1}  # not checked yet
    services.submit_promotion(promotion, now=NOW)
    assert item_tally(fest) == {"warning": 1}
    assert_tallies_true()


def test_a_sub_festival_in_another_time_zone_counts_its_days_in_the_dashboards_zone():
    edition = festival()
    london = festival(parent=edition, time_zone="Europe/London")
    # 01:00 on the first day in Beijing is still the day before in London (its tally's day).
    for fest in (edition, london):
        PromotionFactory(festival=fest, approved=True, starts_at=START + timedelta(hours=1))

    chart = festival_dashboard(edition).promotions_starting_per_day

    assert PromotionTally.objects.get(festival=london).starts_on == (START - timedelta(days=1)).date()
    assert chart.datasets["Promotions going live"][:2] == [2, 0]


@pytest.mark.parametrize("status", [S.SUBMITTED, S.APPROVED])
def test_the_dashboard_makes_the_same_queries_for_one_promotion_and_fifty(status):
    fest = festival()
    PromotionFactory(festival=fest, status=status)
    with CaptureQueriesContext(connection) as one:
        few = festival_dashboard(fest)
    for _ in range(49):
        PromotionFactory(festival=fest, status=status, kind=PromotionKind.AMOUNT_OFF, amount_off=Decimal("5"))
    with CaptureQueriesContext(connection) as fifty:
        many = festival_dashboard(fest)

    assert (few.breakdown[0].promotions, many.breakdown[0].promotions) == (1, 50)
    assert len(fifty) == len(one)
    raw = [q["sql"] for q in fifty if '"promotions_promotion"' in q["sql"] or '"promotions_promotionitem"' in q["sql"]]
    assert raw == []  # counted from the roll-ups, not the promotions


def test_rebuild_fixes_drift_and_logs_it(caplog):
    fest = festival()
    PromotionFactory(festival=fest, submitted=True)
    Promotion.objects.bulk_create(  # a bulk load, past the services
        [
            Promotion(
                festival=fest,
                merchant=Promotion.objects.get().merchant,
                title=f"Bulk {n}",
                kind=PromotionKind.PERCENT_OFF,
                percent_off=Decimal("10"),
                starts_at=START,
                ends_at=START + timedelta(days=1),
                status=S.LIVE,
            )
            for n in range(3)
        ]
    )
    PromotionTally.objects.filter(status=S.SUBMITTED).update(count=7)  # and a row gone wrong

    drift = tallies.rebuild_tallies()

    assert drift == 2
    assert "2 rows had drifted" in caplog.text
    assert_tallies_true()
    assert tallies.rebuild_tallies() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_transactions_creating_a_festivals_first_counts_lose_nothing():
    fest = festival()
    merchant = ParticipationFactory(festival=fest).merchant

    def create():
        return services.create_promotion(
            merchant=merchant,
            festival=fest,
            title="Race",
            kind=PromotionKind.PERCENT_OFF,
            percent_off=Decimal("20"),
            starts_at=START,
            ends_at=START + timedelta(days=1),
            now=NOW,
        )

    for _ in range(3):
        _created, errors = race(create, threads=4)
        assert errors == []
    assert PromotionTally.objects.get().count == 12
    assert_tallies_true()


def test_the_migration_fills_the_tallies_of_an_upgraded_database():
    """A database with promotions from before the roll-ups: migrating fills them, so the
    dashboard is right from its first view."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from promotions.models import ItemCheckTally, PromotionTally
    from promotions.tallies import rebuild_tallies

    festival = FestivalFactory(time_zone="America/Los_Angeles")
    # 02:00 UTC is the day before in Los Angeles (and the same day in the server's zone).
    early = festival.starts_at.replace(hour=2, minute=0, second=0, microsecond=0, tzinfo=UTC) + timedelta(days=1)
    window = {"starts_at": early, "ends_at": early + timedelta(days=1)}
    PromotionItemFactory(promotion=PromotionFactory(festival=festival, submitted=True, **window), check_status="pass")
    PromotionFactory(festival=festival, **window)
    rebuild_tallies()
    expected = (
        sorted(PromotionTally.objects.values_list("festival_id", "status", "kind", "starts_on", "count")),
        sorted(ItemCheckTally.objects.values_list("festival_id", "check_status", "count")),
    )
    PromotionTally.objects.all().delete()
    ItemCheckTally.objects.all().delete()

    executor = MigrationExecutor(connection)
    backfill = executor.loader.get_migration("promotions", "0012_backfill_tallies")
    state = executor.loader.project_state(("promotions", "0012_backfill_tallies"))
    backfill.operations[0].code(state.apps, None)

    assert expected[0] and expected[1]
    assert (
        sorted(PromotionTally.objects.values_list("festival_id", "status", "kind", "starts_on", "count")) == expected[0]
    )
    assert sorted(ItemCheckTally.objects.values_list("festival_id", "check_status", "count")) == expected[1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_a_participation_decided_while_a_promotion_moves_waits_and_counts_its_new_status():
    """A decision locks the merchant's promotions before counting them, so it waits for a move in
    flight to commit and then counts the promotion in its new status; without the lock it would
    move the old status between listed and not, and the counts would drift."""
    import threading
    import time

    from django.db import transaction

    fest = festival()
    promotion = PromotionFactory(festival=fest, live=True)
    promotion.categories.add(CategoryFactory())
    participation = Participation.objects.get(merchant=promotion.merchant)
    reviewer = ReviewerFactory()
    moved = threading.Event()
    waited = []

    def move_then_linger():
        try:
            with transaction.atomic():
                services.cancel_promotion(promotion, by=reviewer, reason="Complaint", now=NOW)
                moved.set()
                time.sleep(0.5)  # the decision below is under way meanwhile
        finally:
            connection.close()

    def decide():
        try:
            assert moved.wait(10)
            started = time.monotonic()
            merchant_services.withdraw_participation(participation)
            waited.append(time.monotonic() - started)
        finally:
            connection.close()

    threads = [threading.Thread(target=move_then_linger), threading.Thread(target=decide)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(waited) == 1 and waited[0] > 0.3, waited  # the decision waited for the move to commit
    assert Promotion.objects.get().status == S.CANCELLED
    assert_tallies_true()


def test_the_migration_fills_the_category_tally_of_an_upgraded_database():
    from django.db.migrations.executor import MigrationExecutor

    fest = festival()
    food = CategoryFactory()
    listed = PromotionFactory(festival=fest, live=True)
    listed.categories.add(food, CategoryFactory(parent=food))  # one family, counted once
    unlisted = PromotionFactory(festival=fest, submitted=True)
    unlisted.categories.add(CategoryFactory())
    Participation.objects.filter(merchant=unlisted.merchant).update(status=ParticipationStatus.WITHDRAWN)
    CategoryTally.objects.all().delete()

    executor = MigrationExecutor(connection)
    backfill = executor.loader.get_migration("promotions", "0014_backfill_category_tally")
    state = executor.loader.project_state(("promotions", "0014_backfill_category_tally"))
    backfill.operations[0].code(state.apps, None)

    assert stored(CategoryTally, "festival_id", "category_id", "status", "listed") == recount_categories()
    assert sorted(CategoryTally.objects.values_list("status", "listed", "count")) == [
        ("live", True, 1),
        ("submitted", False, 1),
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the statement is PostgreSQL's")
def test_the_postgresql_statement_reads_the_moved_families_as_the_orm_does():
    fest, other = festival(), festival()
    food, home = CategoryFactory(), CategoryFactory()
    tea = CategoryFactory(parent=food)
    moved = {}
    for n, (fest_, categories, status) in enumerate(
        [(fest, [food, tea], S.APPROVED), (fest, [tea, home], S.LIVE), (other, [home], S.APPROVED), (fest, [], S.LIVE)]
    ):
        promotion = PromotionFactory(festival=fest_, status=status, title=f"Moved {n}")
        promotion.categories.set(categories)
        moved[promotion.pk] = status
    unlisted = PromotionFactory(festival=fest, live=True)
    unlisted.categories.set([food])
    Participation.objects.filter(merchant=unlisted.merchant).update(status=ParticipationStatus.WITHDRAWN)
    moved[unlisted.pk] = S.LIVE

    by_sql = sorted(tallies._moved_families_postgresql(connection, moved))
    by_orm = sorted(tallies._moved_families(moved))

    assert by_sql == by_orm
    assert (fest.pk, food.pk, S.LIVE, False, 1) in by_sql and (fest.pk, food.pk, S.APPROVED, True, 1) in by_sql
