"""Data at real size for measuring (``manage.py seed_scale``), written with PostgreSQL's COPY.

The demo (``seed_demo``) replays a small festival through the services, so every row
is one a user could have made. At a tenth of a national festival that would take
days, so this module writes the same shapes directly: merchants of every kind,
category and province, participations in two festivals (one closed, one running),
products with about 50 prices each over 60 days (raises, cuts and gaps),
promotions in every status with their history, items whose honest-price check was
worked out by the engine's own rules (``promotions.pricing.rules.evaluate_item``)
from the prices written here, and daily sales reports.

Everything is generated merchant by merchant from the merchant's index, so a rerun
with a bigger target adds only the missing merchants (and their promotions), and the
same index always gives the same data.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, models, transaction
from django.utils import timezone

from festival.categories import ensure_category_tree
from festival.models import Category, Festival, FestivalStatus, Organiser, Province
from merchants.daily_sales import rebuild_daily_sales
from merchants.models import (
    Merchant,
    MerchantKind,
    Participation,
    ParticipationEvent,
    ParticipationStatus,
    PricePoint,
    PriceSource,
    Product,
    SalesReport,
)
from merchants.tallies import rebuild_participation_tallies
from merchants.uscc import make_uscc
from promotions.models import (
    Promotion,
    PromotionEvent,
    PromotionItem,
    PromotionKind,
    PromotionStatus,
    ReferenceSource,
)
from promotions.pricing.rules import PriceHistory, Reference, evaluate_item, lookback_window, raise_window_start
from promotions.tallies import rebuild_tallies

SCALE_EMAIL_DOMAIN = "scale.example.cn"  # marks the merchants this module made
RUNNING_SLUG, CLOSED_SLUG = "scale-running", "scale-closed"
HISTORY_DAYS = 60
ITEMS_PER_PROMOTION = 5
FEN = Decimal("0.01")

# name: (merchants, promotions); the rest follows in proportion.
PRESETS = {
    "xs": (200, 2_000),
    "small": (1_000, 10_000),
    "medium": (10_000, 100_000),
    "large": (30_000, 500_000),
    "tenth": (100_000, 1_000_000),
}

# (status, share) of a running festival's promotions, and of a closed one's.
RUNNING_MIX = [
    (PromotionStatus.LIVE, 35),
    (PromotionStatus.APPROVED, 15),
    (PromotionStatus.SUBMITTED, 15),
    (PromotionStatus.DRAFT, 10),
    (PromotionStatus.CHANGES_REQUESTED, 5),
    (PromotionStatus.ENDED, 10),
    (PromotionStatus.WITHDRAWN, 5),
    (PromotionStatus.CANCELLED, 5),
]
CLOSED_MIX = [(PromotionStatus.ENDED, 85), (PromotionStatus.WITHDRAWN, 10), (PromotionStatus.CANCELLED, 5)]
# The path each final status took, from draft.
STATUS_PATHS = {
    PromotionStatus.DRAFT: [],
    PromotionStatus.SUBMITTED: [PromotionStatus.SUBMITTED],
    PromotionStatus.CHANGES_REQUESTED: [PromotionStatus.SUBMITTED, PromotionStatus.CHANGES_REQUESTED],
    PromotionStatus.APPROVED: [PromotionStatus.SUBMITTED, PromotionStatus.APPROVED],
    PromotionStatus.LIVE: [PromotionStatus.SUBMITTED, PromotionStatus.APPROVED, PromotionStatus.LIVE],
    PromotionStatus.ENDED: [
        PromotionStatus.SUBMITTED,
        PromotionStatus.APPROVED,
        PromotionStatus.LIVE,
        PromotionStatus.ENDED,
    ],
    PromotionStatus.WITHDRAWN: [PromotionStatus.SUBMITTED, PromotionStatus.WITHDRAWN],
    PromotionStatus.CANCELLED: [PromotionStatus.SUBMITTED, PromotionStatus.APPROVED, PromotionStatus.CANCELLED],
}
NAME_PARTS = ("华", "兴", "丰", "瑞", "和", "泰", "安", "盛", "源", "达", "隆", "昌", "祥", "德", "顺", "鑫")
PRODUCT_WORDS = ("茶叶", "大米", "香菇", "丝绸", "瓷器", "手机", "耳机", "电饭煲", "羽绒服", "运动鞋", "蜂蜜", "红枣")
SILK_ROAD_COUNTRIES = ("KZ", "UZ", "PK", "TH", "VN", "MY", "RU", "GE", "CL", "IT")


class ScaleError(Exception):
    """Why the data cannot be written (shown by the command)."""


@dataclass
class Size:
    merchants: int
    promotions: int

    @property
    def promotions_per_merchant(self) -> int:
        return max(1, round(self.promotions / self.merchants))

    @property
    def products_per_merchant(self) -> int:
        # About one product per promotion (the tenth: 1,000,000 products, 50,000,000 prices).
        return max(ITEMS_PER_PROMOTION, self.promotions_per_merchant)


@dataclass
class Made:
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int):
        self.rows[table] = self.rows.get(table, 0) + count


class CopyTable:
    """COPY rows of ``columns`` into ``model``'s table; every other column gets its default once."""

    def __init__(self, model: type[models.Model], columns: list[str], now: datetime):
        self.model = model
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.columns = columns
        self.tail_columns, self.tail = [], []
        for attname, f in fields.items():
            if attname in columns:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default() or (not f.null and f.empty_strings_allowed):
                value = f.get_default()
            elif f.null:
                value = None
            elif f.primary_key:
                continue
            else:
                raise ScaleError(f"{model.__name__}.{attname} needs a value")
            if isinstance(value, list | dict):
                value = json.dumps(value)
            self.tail_columns.append(attname)
            self.tail.append(value)
        self.tail = tuple(self.tail)
        names = [fields[c].column for c in [*columns, *self.tail_columns]]
        self.sql = f"COPY {model._meta.db_table} ({', '.join(names)}) FROM STDIN"

    def write(self, rows: Iterable[tuple]) -> int:
        count = 0
        with connection.cursor() as cursor, cursor.copy(self.sql) as copy:
            for row in rows:
                copy.write_row(row + self.tail)
                count += 1
        return count


# The triggers that keep Promotion.search_document (migration promotions 0015). Through
# COPY they would write each promotion twice: its row computed on insert, then again once
# the statement copying its items touches it. The load writes the document itself.
SEARCH_TRIGGERS = (
    ("promotions_promotion", "promotions_search_document_write"),
    ("promotions_promotionitem", "promotions_search_items_inserted"),
)


@contextmanager
def search_triggers_off():
    """The search-document triggers off for the enclosing transaction's writes: DDL is
    transactional in PostgreSQL, so a chunk that fails or a run that is stopped rolls the
    triggers back on with the rows (no ``finally``: an aborted transaction takes no command)."""
    with connection.cursor() as cursor:
        for table, trigger in SEARCH_TRIGGERS:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    yield
    with connection.cursor() as cursor:
        # ALTER TABLE waits for no deferred check: the foreign keys' are run now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in SEARCH_TRIGGERS:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")


def search_document(title: str, merchant_name: str, product_names: list[str]) -> str:
    """What ``promotions_search_document`` writes for a promotion: its title, its merchant's
    name and each item's product name, upper-cased, one a line."""
    return "\n".join(text.upper() for text in (title, merchant_name, *product_names))


def next_ids(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")
        return cursor.fetchone()[0]


def reset_sequences(models_: Iterable[type[models.Model]]):
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


def scale_festivals(now: datetime) -> tuple[Festival, Festival]:
    """The two editions the data belongs to: one running now, one closed six weeks ago."""
    organiser, _ = Organiser.objects.get_or_create(
        name="中华人民共和国商务部", defaults={"name_en": "Ministry of Commerce", "short_name": "商务部"}
    )
    day = now.replace(minute=0, second=0, microsecond=0)
    specs = {
        RUNNING_SLUG: ("规模测试网购节（进行中）", "Scale test festival (running)", day - timedelta(days=5), 13),
        CLOSED_SLUG: ("规模测试网购节（已结束）", "Scale test festival (closed)", day - timedelta(days=48), 13),
    }
    festivals = []
    for slug, (name, name_en, starts_at, days) in specs.items():
        ends_at = starts_at + timedelta(days=days)
        festival, created = Festival.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "name_en": name_en,
                "registration_opens_at": starts_at - timedelta(days=30),
                "registration_closes_at": starts_at - timedelta(days=2),
                "submission_deadline": starts_at - timedelta(days=1),
                "starts_at": starts_at,
                "ends_at": ends_at,
                "status": FestivalStatus.RUNNING if ends_at > now else FestivalStatus.CLOSED,
                "opened_at": starts_at,
                "closed_at": ends_at if ends_at <= now else None,
            },
        )
        if created:
            festival.organisers.add(organiser)
        festivals.append(festival)
    return festivals[0], festivals[1]


def uscc_for(index: int, province_code: str) -> str:
    body = f"{index:08d}"
    total = sum(int(char, 36) * weight for char, weight in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
    return make_uscc(f"91{province_code[:4]}01{body}{check}")


def price_series(rng: random.Random, base: Decimal, start: datetime, days: int) -> list[tuple[datetime, Decimal]]:
    """About 50 prices over ``days``: a price most days at 10:00 Beijing, with drifts,
    an occasional raise a fortnight out (raise-then-cut material), and gaps."""
    points, price = [], base
    for n in range(days):
        if rng.random() < 0.17:  # a gap: no price that day
            continue
        roll = rng.random()
        if roll < 0.04:
            price = (price * Decimal("1.25")).quantize(FEN)  # a raise
        elif roll < 0.10:
            price = (price * Decimal("0.92")).quantize(FEN)  # a cut
        elif roll < 0.40:
            price = max(FEN, (price * Decimal(str(1 + rng.uniform(-0.03, 0.03)))).quantize(FEN))
        points.append((start + timedelta(days=n, hours=2, minutes=rng.randrange(60)), price))
    return points


def history_for(points: list[tuple[datetime, Decimal]], starts_at: datetime, festival: Festival) -> PriceHistory:
    """The engine's inputs (see promotions.pricing.history) worked out from the series in memory."""
    window_start, window_end = lookback_window(starts_at, festival.price_lookback_days)
    raise_start = raise_window_start(
        starts_at, lookback_days=festival.price_lookback_days, raise_days=festival.raise_lookback_days
    )
    in_window = [p for at, p in points if window_start <= at < window_end]
    before_window = [p for at, p in points if at < window_start]
    before_start = [p for at, p in points if at < window_end]
    if in_window:
        reference = Reference(min(in_window), ReferenceSource.LOOKBACK)
    elif before_window:
        reference = Reference(before_window[-1], ReferenceSource.FALLBACK)
    else:
        reference = Reference(None, ReferenceSource.NONE)
    carried_in = [p for at, p in points if at < raise_start]
    in_raise = [p for at, p in points if raise_start <= at < window_start]
    levels = ([carried_in[-1]] if carried_in else []) + in_raise
    return PriceHistory(
        reference=reference,
        earlier_level=min(levels) if levels else None,
        price_at_start=before_start[-1] if before_start else None,
    )


def choose(rng: random.Random, mix: list[tuple[str, int]]) -> str:
    return rng.choices([s for s, _ in mix], weights=[w for _, w in mix])[0]


class ScaleWriter:
    """Writes merchants ``first..last`` (exclusive) and everything that belongs to them."""

    CHUNK = 500  # merchants per COPY round: memory stays flat at any size

    def __init__(self, size: Size, *, now: datetime, progress: Callable[[str], None]):
        self.size, self.now, self.progress = size, now, progress
        self.running, self.closed = scale_festivals(now)
        self.provinces = list(Province.objects.values_list("code", flat=True))
        ensure_category_tree()
        self.categories = list(Category.objects.values_list("pk", flat=True))
        self.has_province = any(f.attname == "province_id" for f in Merchant._meta.concrete_fields)
        self.made = Made()
        self.history_start = (now - timedelta(days=HISTORY_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)

    def existing_merchants(self) -> int:
        return Merchant.objects.filter(contact_email__endswith="@" + SCALE_EMAIL_DOMAIN).count()

    def tables(self):
        now = self.now
        merchant_cols = ["id", "name", "legal_name", "uscc", "kind", "country", "contact_name", "contact_email"]
        if self.has_province:
            merchant_cols.append("province_id")
        return {
            "merchants": CopyTable(Merchant, merchant_cols, now),
            "participations": CopyTable(
                Participation, ["id", "merchant_id", "festival_id", "status", "applied_at", "decided_at"], now
            ),
            "participation_events": CopyTable(
                ParticipationEvent, ["participation_id", "from_status", "to_status", "created_at"], now
            ),
            "products": CopyTable(Product, ["id", "merchant_id", "sku", "name", "category_id"], now),
            "price_points": CopyTable(PricePoint, ["product_id", "price", "recorded_at", "source"], now),
            "promotions": CopyTable(
                Promotion,
                [
                    "id",
                    "festival_id",
                    "merchant_id",
                    "title",
                    "kind",
                    "starts_at",
                    "ends_at",
                    "percent_off",
                    "amount_off",
                    "threshold_amount",
                    "flash_quantity",
                    "status",
                    "submitted_at",
                    "reviewed_at",
                    "went_live_at",
                    "ended_at",
                    "search_document",
                ],
                now,
            ),
            "promotion_categories": CopyTable(Promotion.categories.through, ["promotion_id", "category_id"], now),
            "promotion_events": CopyTable(
                PromotionEvent, ["promotion_id", "from_status", "to_status", "created_at"], now
            ),
            "items": CopyTable(
                PromotionItem,
                [
                    "promotion_id",
                    "product_id",
                    "promo_price",
                    "check_status",
                    "reference_price",
                    "reference_source",
                    "real_discount_percent",
                    "check_reasons",
                    "checked_at",
                ],
                now,
            ),
            "sales_reports": CopyTable(SalesReport, ["merchant_id", "festival_id", "date", "gmv", "orders"], now),
        }

    def run(self) -> Made:
        first = self.existing_merchants()
        last = self.size.merchants
        if first >= last:
            self.progress(f"Already {first:,} scale merchants: nothing to add.")
            return self.made
        tables = self.tables()
        ids = {
            "merchant": next_ids(Merchant),
            "participation": next_ids(Participation),
            "product": next_ids(Product),
            "promotion": next_ids(Promotion),
        }
        started = time.monotonic()
        for chunk_start in range(first, last, self.CHUNK):
            chunk = range(chunk_start, min(chunk_start + self.CHUNK, last))
            with transaction.atomic(), search_triggers_off():
                rows = self.generate(chunk, ids)
                for name, table_rows in rows.items():
                    self.made.add(name, tables[name].write(table_rows))
            done = chunk.stop - first
            elapsed = time.monotonic() - started
            total_rows = sum(self.made.rows.values())
            eta = elapsed / done * (last - first - done)
            self.progress(
                f"{chunk.stop:,}/{last:,} merchants · {total_rows:,} rows · "
                f"{total_rows / elapsed:,.0f} rows/s · ETA {eta:,.0f} s"
            )
        written = [Merchant, Participation, ParticipationEvent, Product, PricePoint, Promotion, PromotionEvent]
        reset_sequences([*written, PromotionItem, SalesReport, Promotion.categories.through])
        # The rows were copied in, past the services that keep the dashboard's roll-ups.
        rebuild_tallies()
        rebuild_daily_sales()
        rebuild_participation_tallies()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return self.made

    def generate(self, merchants: range, ids: dict[str, int]) -> dict[str, list[tuple]]:
        rows: dict[str, list[tuple]] = {name: [] for name in self.tables_order()}
        for index in merchants:
            self.generate_merchant(index, ids, rows)
        return rows

    @staticmethod
    def tables_order():
        # Parents before children, so foreign keys hold at COPY time.
        return [
            "merchants",
            "participations",
            "participation_events",
            "products",
            "price_points",
            "promotions",
            "promotion_categories",
            "promotion_events",
            "items",
            "sales_reports",
        ]

    def generate_merchant(self, index: int, ids: dict[str, int], rows: dict[str, list[tuple]]):
        rng = random.Random(f"scale-{index}")
        now = self.now
        merchant_id = ids["merchant"]
        ids["merchant"] += 1
        kind = MerchantKind.values[index % len(MerchantKind.values)]
        province = self.provinces[index % len(self.provinces)]
        country = SILK_ROAD_COUNTRIES[index % len(SILK_ROAD_COUNTRIES)] if kind == MerchantKind.SILK_ROAD else "CN"
        name = "".join(rng.choice(NAME_PARTS) for _ in range(2)) + f"商贸{index:06d}"
        row = (
            merchant_id,
            name,
            f"{name}有限公司",
            uscc_for(index, province),
            kind,
            country,
            "联系人",
            f"m{index:06d}@{SCALE_EMAIL_DOMAIN}",
        )
        rows["merchants"].append(row + ((province,) if self.has_province else ()))

        approved = {}
        for festival, share in ((self.running, 0.85), (self.closed, 0.6)):
            roll = rng.random()
            status = (
                ParticipationStatus.APPROVED
                if roll < share
                else ParticipationStatus.APPLIED
                if roll < share + 0.1
                else ParticipationStatus.REJECTED
            )
            applied_at = festival.registration_opens_at + timedelta(hours=rng.randrange(24 * 20))
            decided_at = None if status == ParticipationStatus.APPLIED else applied_at + timedelta(days=1)
            pid = ids["participation"]
            ids["participation"] += 1
            rows["participations"].append((pid, merchant_id, festival.pk, status, applied_at, decided_at))
            rows["participation_events"].append((pid, "", ParticipationStatus.APPLIED, applied_at))
            if decided_at:
                rows["participation_events"].append((pid, ParticipationStatus.APPLIED, status, decided_at))
            approved[festival.pk] = status == ParticipationStatus.APPROVED

        category = self.categories[index % len(self.categories)]
        products = []
        for n in range(self.size.products_per_merchant):
            product_id = ids["product"]
            ids["product"] += 1
            base = Decimal(rng.randrange(990, 99_900)) / 100
            series = price_series(rng, base, self.history_start, HISTORY_DAYS + 1)
            product_name = rng.choice(PRODUCT_WORDS) + f" {n + 1}号"
            products.append((product_id, series, product_name))
            rows["products"].append((product_id, merchant_id, f"S{index:06d}-{n:03d}", product_name, category))
            rows["price_points"].extend((product_id, price, at, PriceSource.DEMO) for at, price in series)

        for n in range(self.size.promotions_per_merchant):
            festival = self.running if rng.random() < 0.7 else self.closed
            eligible = approved[festival.pk]
            status = choose(rng, RUNNING_MIX if festival is self.running else CLOSED_MIX)
            if not eligible and status not in (PromotionStatus.DRAFT, PromotionStatus.WITHDRAWN):
                status = PromotionStatus.DRAFT if festival is self.running else PromotionStatus.WITHDRAWN
            self.generate_promotion(rng, festival, (merchant_id, name), index, n, status, products, category, ids, rows)

        for festival in (self.running, self.closed):
            if not approved[festival.pk]:
                continue
            day = festival.local(festival.starts_at).date()
            last = min(festival.local(festival.ends_at).date(), festival.local(now).date() - timedelta(days=1))
            while day <= last:
                gmv = Decimal(rng.randrange(10_000, 5_000_000)) / 100
                rows["sales_reports"].append((merchant_id, festival.pk, day, gmv, rng.randrange(1, 2_000)))
                day += timedelta(days=1)

    def window_for(self, rng, festival, status) -> tuple[datetime, datetime]:
        """A window on the hour that agrees with the status: live now, ended, or not yet started."""
        now, hour = self.now, timedelta(hours=1)
        days = timedelta(days=rng.randrange(1, 5))

        def on_the_hour(moment):
            return moment.replace(minute=0, second=0, microsecond=0)

        if status == PromotionStatus.LIVE:
            starts_at = on_the_hour(max(now - rng.randrange(1, 96) * hour, festival.starts_at))
            ends_at = on_the_hour(min(now + rng.randrange(2, 96) * hour, festival.ends_at))
        elif status == PromotionStatus.ENDED:
            if festival is self.running:
                ends_at = on_the_hour(max(now - rng.randrange(1, 90) * hour, festival.starts_at + 2 * hour))
            else:
                ends_at = on_the_hour(festival.ends_at - rng.randrange(0, 72) * hour)
            starts_at = max(festival.starts_at, ends_at - days)
        elif festival is self.running:  # approved, in review or a draft: starts later
            starts_at = on_the_hour(now + rng.randrange(2, 72) * hour)
            ends_at = min(starts_at + days, festival.ends_at)
        else:  # withdrawn or cancelled before it ran
            starts_at = on_the_hour(festival.starts_at + rng.randrange(0, 200) * hour)
            ends_at = min(starts_at + days, festival.ends_at)
        if ends_at <= starts_at:
            starts_at = ends_at - hour
        return starts_at, ends_at

    def generate_promotion(self, rng, festival, merchant, index, n, status, products, category, ids, rows):
        now = self.now
        merchant_id, merchant_name = merchant
        kind = PromotionKind.values[(index + n) % 4]  # percent, amount, threshold, coupon-free kinds
        if kind == PromotionKind.COUPON:
            kind = PromotionKind.FLASH_SALE
        starts_at, ends_at = self.window_for(rng, festival, status)
        percent_off = amount_off = threshold = flash = None
        if kind == PromotionKind.PERCENT_OFF:
            percent_off = Decimal(rng.choice((10, 15, 20, 25, 30)))
        elif kind == PromotionKind.AMOUNT_OFF:
            amount_off = Decimal(rng.choice((5, 10, 20, 50)))
        elif kind == PromotionKind.THRESHOLD:
            threshold, amount_off = Decimal(rng.choice((200, 300, 500))), Decimal(rng.choice((20, 30, 50)))
        else:
            flash = rng.choice((100, 500, 1000))

        promotion_id = ids["promotion"]
        ids["promotion"] += 1
        path = STATUS_PATHS[status]
        moments = {}
        moment = min(starts_at, now) - timedelta(days=3)
        previous = ""
        for step in [PromotionStatus.DRAFT, *path]:
            if step == PromotionStatus.LIVE:
                moment = starts_at
            elif step == PromotionStatus.ENDED:
                moment = ends_at
            else:
                moment = moment + timedelta(hours=rng.randrange(1, 12))
            rows["promotion_events"].append((promotion_id, previous, step, moment))
            moments[step] = moment
            previous = step
        offset = (n * ITEMS_PER_PROMOTION) % len(products)
        chosen = [products[(offset + k) % len(products)] for k in range(min(ITEMS_PER_PROMOTION, len(products)))]
        title = f"规模促销 {index:06d}-{n:03d}"
        rows["promotions"].append(
            (
                promotion_id,
                festival.pk,
                merchant_id,
                title,
                kind,
                starts_at,
                ends_at,
                percent_off,
                amount_off,
                threshold,
                flash,
                status,
                moments.get(PromotionStatus.SUBMITTED),
                moments.get(PromotionStatus.APPROVED) or moments.get(PromotionStatus.CHANGES_REQUESTED),
                moments.get(PromotionStatus.LIVE),
                moments.get(PromotionStatus.ENDED),
                search_document(title, merchant_name, [product_name for _id, _series, product_name in chosen]),
            )
        )
        rows["promotion_categories"].append((promotion_id, category))

        promotion = Promotion(
            pk=promotion_id,
            festival=festival,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            percent_off=percent_off,
            amount_off=amount_off,
            threshold_amount=threshold,
            flash_quantity=flash,
        )
        checked = status != PromotionStatus.DRAFT
        for product_id, series, _name in chosen:
            history = history_for(series, starts_at, festival)
            before = history.price_at_start or series[0][1]
            promo_price = (before * Decimal(str(rng.uniform(0.6, 0.99)))).quantize(FEN, rounding=ROUND_HALF_UP)
            promo_price = max(promo_price, FEN)
            if not checked:
                rows["items"].append((promotion_id, product_id, promo_price, "", None, "", None, "[]", None))
                continue
            item = PromotionItem(promotion=promotion, product_id=product_id, promo_price=promo_price)
            check = evaluate_item(item, history, festival=festival)
            rows["items"].append(
                (
                    promotion_id,
                    product_id,
                    promo_price,
                    check.status,
                    check.reference.price,
                    check.reference.source,
                    check.real_discount_percent,
                    json.dumps([str(reason) for reason in check.reasons], ensure_ascii=False),
                    moments.get(PromotionStatus.SUBMITTED, now),
                )
            )


def seed_scale(size: Size, *, now: datetime | None = None, progress: Callable[[str], None] = print) -> Made:
    if connection.vendor != "postgresql":
        raise ScaleError(
            "seed_scale writes with PostgreSQL's COPY: set DATABASE_URL to a PostgreSQL database "
            "(e.g. postgres://postgres@127.0.0.1:5432/festival_scale). SQLite is not supported."
        )
    now = (now or timezone.now()).astimezone(UTC)
    return ScaleWriter(size, now=now, progress=progress).run()


def iter_presets() -> Iterator[tuple[str, Size]]:
    for name, (merchants, promotions) in PRESETS.items():
        yield name, Size(merchants, promotions)
