#!/usr/bin/env python
"""Benchmark: the full honest-price check of many items, the production path versus hand-written SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/pricing.py
    DATABASE_URL=… python bench/pricing.py --items 2000 --points 100000   # quick smoke run
    DATABASE_URL=… python bench/pricing.py --reuse                         # skip data generation

It works in its own database (``--database``, default ``bench_pricing``, on the
server of DATABASE_URL), which it drops and re-creates unless ``--reuse`` is
given. Data is generated server-side (INSERT … SELECT generate_series):
merchants, products (1 in 20 without any price, 1 in 7 priced only every 13
days so some items fall back, the rest daily), ``--points`` price points, and
``--items`` items in promotions of several kinds starting on ten different
days; neighbouring promotions of a merchant share most of their products and
start a day apart, and 1 in 10 is approved or live, so items overlap.

Then, in this one process and alternating, it times
- ours: ``promotions.pricing.iter_item_checks(PromotionItem.objects.all(), products=False)``,
  the check ``services.refresh_checks_for_items(…, keep=False)`` stores (the bulk
  recheck ``refresh_checks_for_products`` runs when prices are recorded; with
  ``keep``, as for ``refresh_item_checks`` of one promotion, the products are loaded
  too: ``--with-products``): every rule, items as model instances, nothing stored; and
- the baseline: one hand-written query giving, per item, the reference price and
  its source, the earlier level and the raise-then-cut flag, the price at the
  start (for the declared-price rule) and the overlapping promotions (LATERAL
  subqueries, the fallback evaluated only when the window is empty), fetched
  through a server-side cursor into plain tuples,
compares both results row by row (reference price, source, earlier level,
raise-then-cut flag, overlapping promotions; mismatches printed, exit status 1),
and prints the best and median times, their ratio (target ≤ 5) and the peak RSS.
``--store`` also times, once, ``services.refresh_checks_for_items`` writing every
check (rolled back). ``--profile`` prints where ours spends its time.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.support import ensure_secret_key  # noqa: E402

ensure_secret_key()

# Per item: the windows of its promotion's festival, then one LATERAL per output.
# Each price lookup is a range or backward scan of the unique (product, recorded_at)
# index; the fallback runs only when the window is empty (a one-time filter).
BASELINE_SQL = """
WITH it AS (
    SELECT i.id, i.product_id, i.promotion_id, p.merchant_id, p.kind, p.starts_at, p.ends_at,
           f.stackable_kinds, f.raise_tolerance_percent,
           p.starts_at - make_interval(days => f.price_lookback_days) AS window_start,
           p.starts_at - make_interval(days => greatest(f.raise_lookback_days, f.price_lookback_days)) AS raise_start
    FROM promotions_promotionitem i
    JOIN promotions_promotion p ON p.id = i.promotion_id
    JOIN festival_festival f ON f.id = p.festival_id
)
SELECT it.id,
       coalesce(w.lowest, fb.price) AS reference,
       CASE WHEN w.lowest IS NOT NULL THEN 'lookback' WHEN fb.price IS NOT NULL THEN 'fallback' ELSE 'none' END,
       least(b.lowest, c.price) AS earlier,
       coalesce(coalesce(w.lowest, fb.price) * 100 > least(b.lowest, c.price) * (100 + it.raise_tolerance_percent),
                false) AS raised,
       s.price AS price_at_start,
       o.ids AS overlaps
FROM it
CROSS JOIN LATERAL (
    SELECT min(pp.price) AS lowest FROM merchants_pricepoint pp
    WHERE pp.product_id = it.product_id AND pp.recorded_at >= it.window_start AND pp.recorded_at < it.starts_at
) w
LEFT JOIN LATERAL (
    SELECT pp.price FROM merchants_pricepoint pp
    WHERE w.lowest IS NULL AND pp.product_id = it.product_id AND pp.recorded_at < it.window_start
    ORDER BY pp.recorded_at DESC LIMIT 1
) fb ON true
CROSS JOIN LATERAL (
    SELECT min(pp.price) AS lowest FROM merchants_pricepoint pp
    WHERE pp.product_id = it.product_id AND pp.recorded_at >= it.raise_start AND pp.recorded_at < it.window_start
) b
LEFT JOIN LATERAL (
    SELECT pp.price FROM merchants_pricepoint pp
    WHERE pp.product_id = it.product_id AND pp.recorded_at < it.raise_start
    ORDER BY pp.recorded_at DESC LIMIT 1
) c ON true
LEFT JOIN LATERAL (
    SELECT pp.price FROM merchants_pricepoint pp
    WHERE pp.product_id = it.product_id AND pp.recorded_at < it.starts_at
    ORDER BY pp.recorded_at DESC LIMIT 1
) s ON true
CROSS JOIN LATERAL (
    SELECT array_agg(op.id ORDER BY op.starts_at, op.id) AS ids
    FROM promotions_promotionitem oi
    JOIN promotions_promotion op ON op.id = oi.promotion_id
    WHERE oi.product_id = it.product_id AND op.merchant_id = it.merchant_id AND op.id <> it.promotion_id
      AND op.status IN ('approved', 'live') AND op.starts_at < it.ends_at AND op.ends_at > it.starts_at
      AND NOT (it.stackable_kinds ? it.kind AND it.stackable_kinds ? op.kind)
) o
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="promotion items (default 100,000)")
    parser.add_argument("--points", type=int, default=5_000_000, help="price points (default 5,000,000)")
    parser.add_argument("--products", type=int, default=None, help="products (default points / 100)")
    parser.add_argument("--merchants", type=int, default=100)
    parser.add_argument("--items-per-promotion", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (alternating; default 3)")
    parser.add_argument("--database", default="bench_pricing", help="database to (re)create and use")
    parser.add_argument("--reuse", action="store_true", help="use the data already in --database")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the baseline query")
    parser.add_argument("--profile", action="store_true", help="profile one run of ours (cProfile, top 25)")
    parser.add_argument(
        "--with-products", action="store_true", help="load the items' products too, as refresh_item_checks does"
    )
    parser.add_argument(
        "--store", action="store_true", help="also time refresh_checks_for_items storing every check (rolled back)"
    )
    return parser.parse_args()


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def prepare_database(args):
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("Set DATABASE_URL=postgres://… (the benchmark runs on PostgreSQL).")
    bench_url = urlunsplit(parts._replace(path=f"/{args.database}"))
    if not args.reuse:
        import psycopg

        admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
            admin.execute(f'CREATE DATABASE "{args.database}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "festival.settings")
    import django

    django.setup()
    if not args.reuse:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def generate(args):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.db import connection

    from festival.models import Festival

    products = args.products or max(args.points // 100, args.merchants)
    per_merchant = products // args.merchants
    # A promotion lists distinct products of its own merchant.
    per_promotion = max(min(args.items_per_promotion, per_merchant), 1)
    promotions = max(args.items // per_promotion, 1)
    priced = products - products // 20
    per_product = -(-args.points // priced)  # ceiling
    start = datetime(2030, 5, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    festival = Festival.objects.create(
        name="Benchmark festival",
        slug="bench",
        registration_opens_at=start - timedelta(days=60),
        registration_closes_at=start - timedelta(days=5),
        submission_deadline=start - timedelta(days=2),
        starts_at=start,
        ends_at=start + timedelta(days=13),
    )
    # A promotion's items are created together (consecutive ids): item n is the k-th
    # (k = n % per_promotion) of promotion j = n / per_promotion, which belongs to merchant
    # j % merchants and is that merchant's q-th (q = j / merchants). Its products are the merchant's k-th products for k = q × 7 … q × 7 + per_promotion - 1
    # (mod per_merchant): a merchant's neighbouring promotions share most of their products
    # and start a day apart, so they overlap when one of them is approved or live.
    steps = [
        (
            "merchants",
            """INSERT INTO merchants_merchant (name, legal_name, uscc_override_reason, kind, country, website, logo,
                   logo_thumbnail, contact_name, contact_email, contact_phone, created_at, updated_at)
               SELECT 'Bench merchant ' || g, '', '', 'brand_enterprise', 'DE', '', '', '', '', '', '', now(), now()
               FROM generate_series(0, %(merchants)s - 1) g""",
        ),
        (
            "products",
            """INSERT INTO merchants_product (merchant_id, sku, name, unit, description, created_at, updated_at)
               SELECT (SELECT min(id) FROM merchants_merchant) + g %% %(merchants)s, 'SKU-' || g, 'Product ' || g,
                      '件', '', now(), now()
               FROM generate_series(0, %(products)s - 1) g""",
        ),
        (
            "price points",
            """INSERT INTO merchants_pricepoint (product_id, price, recorded_at, source, created_at)
               SELECT pr.id,
                      round((50 + random() * 100)::numeric, 2),
                      %(latest)s::timestamptz
                        - make_interval(days => s * CASE WHEN (pr.id - m.first) %% 7 = 3 THEN 13 ELSE 1 END)
                        - make_interval(mins => (((pr.id - m.first) * 37) %% 1440)::int),
                      'demo', now()
               FROM merchants_product pr
               CROSS JOIN (SELECT min(id) AS first FROM merchants_product) m
               CROSS JOIN generate_series(0, %(per_product)s - 1) s
               WHERE (pr.id - m.first) %% 20 <> 0
               LIMIT %(points)s""",
        ),
        (
            "promotions",
            """INSERT INTO promotions_promotion (festival_id, merchant_id, title, description, kind, percent_off,
                   amount_off, threshold_amount, coupon_value, coupon_quantity,
                   starts_at, ends_at, banner, banner_thumbnail, stream_host, stream_url, status, review_note,
                   created_at, updated_at)
               SELECT %(festival)s, (SELECT min(id) FROM merchants_merchant) + j %% %(merchants)s,
                      'Promotion ' || j, '', k.kind,
                      CASE WHEN k.kind = 'percent_off' THEN 10 END,
                      CASE k.kind WHEN 'amount_off' THEN 5 WHEN 'threshold' THEN 20 END,
                      CASE WHEN k.kind = 'threshold' THEN 200 END,
                      CASE WHEN k.kind = 'coupon' THEN 10 END,
                      CASE WHEN k.kind = 'coupon' THEN 1000 END,
                      %(start)s::timestamptz + make_interval(days => (j + j / %(merchants)s) %% 10),
                      %(start)s::timestamptz + make_interval(days => (j + j / %(merchants)s) %% 10 + 2),
                      '', '', '', '',
                      CASE (j + 3 * (j / %(merchants)s)) %% 20 WHEN 0 THEN 'approved' WHEN 1 THEN 'live'
                           WHEN 2 THEN 'draft' ELSE 'submitted' END,
                      '', now(), now()
               FROM generate_series(0, %(promotions)s - 1) j
               CROSS JOIN LATERAL (
                   SELECT (ARRAY['percent_off', 'percent_off', 'percent_off', 'amount_off', 'amount_off',
                                 'threshold', 'coupon'])[1 + (j + j / %(merchants)s) %% 7] AS kind
               ) k""",
        ),
        (
            "promotion items",
            """INSERT INTO promotions_promotionitem (promotion_id, product_id, promo_price, check_status,
                   reference_source, check_reasons)
               SELECT pm.first + n / %(per_promotion)s,
                      pr.first + (n / %(per_promotion)s) %% %(merchants)s
                        + %(merchants)s * ((n %% %(per_promotion)s + 7 * ((n / %(per_promotion)s) / %(merchants)s))
                                           %% %(per_merchant)s),
                      50.00, '', '', '[]'::jsonb
               FROM generate_series(0, %(items)s - 1) n
               CROSS JOIN (SELECT min(id) AS first FROM promotions_promotion) pm
               CROSS JOIN (SELECT min(id) AS first FROM merchants_product) pr""",
        ),
    ]
    values = {
        "merchants": args.merchants,
        "products": products,
        "points": args.points,
        "per_product": per_product,
        "promotions": promotions,
        "per_merchant": per_merchant,
        "per_promotion": per_promotion,
        "items": promotions * per_promotion,
        "festival": festival.pk,
        "start": start,
        "latest": start + timedelta(days=12),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        for label, sql in steps:
            began = time.perf_counter()
            cursor.execute(sql, values)
            print(f"  generated {cursor.rowcount:>10,} {label} in {time.perf_counter() - began:.1f} s", flush=True)
        began = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        print(f"  VACUUM ANALYZE in {time.perf_counter() - began:.1f} s", flush=True)


PRODUCTS = False


def ours():
    """The production check of every item, reduced to the compared outputs."""
    from promotions import pricing
    from promotions.models import PromotionItem

    result = {}
    for chunk in pricing.iter_item_checks(PromotionItem.objects.all(), products=PRODUCTS):
        for check in chunk:
            result[check.item.pk] = (
                check.reference.price,
                str(check.reference.source),
                check.earlier_level,
                check.raised,
                tuple(other.promotion_id for other in check.overlaps),
                str(check.status),
            )
    return result


def baseline():
    from django.db import connection

    from promotions.pricing import without_jit

    result = {}
    # The same JIT setting as ours (see pricing.without_jit); a server-side cursor.
    with without_jit(), connection.chunked_cursor() as cursor:
        cursor.execute(BASELINE_SQL)
        while rows := cursor.fetchmany(2000):
            for pk, reference, source, earlier, raised, _at_start, overlaps in rows:
                result[pk] = (reference, source, earlier, raised, tuple(overlaps or ()))
    return result


def compare(mine, theirs) -> list:
    """Row by row: the baseline's outputs against ours (without our check status)."""
    mismatches = []
    for pk in sorted(set(mine) | set(theirs)):
        got = mine.get(pk)
        if got is not None:
            got = got[:5]
        if got != theirs.get(pk):
            mismatches.append((pk, got, theirs.get(pk)))
    return mismatches


def explain():
    from django.db import connection

    from promotions import pricing

    with pricing.without_jit(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + BASELINE_SQL)
        print("\n-- baseline\n" + "\n".join(row[0] for row in cursor.fetchall()))


def profile():
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(ours)
    print("\n-- profile of one run of ours (cumulative)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def time_store():
    from django.db import transaction

    from promotions.models import PromotionItem
    from promotions.services import refresh_checks_for_items

    start = time.perf_counter()
    with transaction.atomic():
        refresh_checks_for_items(PromotionItem.objects.all(), keep=False)
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    print(f"  refresh_checks_for_items storing every check (rolled back): {elapsed:.3f} s")


def main():
    global PRODUCTS
    args = parse_args()
    PRODUCTS = args.with_products
    began = time.perf_counter()
    prepare_database(args)
    if not args.reuse:
        print(f"Generating {args.items:,} items against {args.points:,} price points in {args.database} …")
        generate(args)
        print(f"  data ready in {time.perf_counter() - began:.1f} s")

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM promotions_promotionitem), (SELECT count(*) FROM merchants_pricepoint)"
        )
        items, points = cursor.fetchone()
    print(f"Timing the full check of {items:,} items against {points:,} price points, {args.runs} runs each")
    rss_before = peak_rss_mb()
    baseline()  # warm the cache for both
    times = {"ours": [], "baseline": []}
    results = {}
    for run in range(args.runs):
        for label, function in (("baseline", baseline), ("ours", ours)):
            start = time.perf_counter()
            result = function()
            times[label].append(time.perf_counter() - start)
            if run == args.runs - 1:  # keep one result of each for the comparison
                results[label] = result
            del result

    mine, theirs = results["ours"], results["baseline"]
    mismatches = compare(mine, theirs)
    sources, statuses = {}, {}
    raised = overlapping = 0
    for _reference, source, _earlier, is_raised, overlaps, status in mine.values():
        sources[source] = sources.get(source, 0) + 1
        statuses[status] = statuses.get(status, 0) + 1
        raised += is_raised
        overlapping += bool(overlaps)
    best_ours, best_base = min(times["ours"]), min(times["baseline"])
    print(f"  results identical row by row: {not mismatches} ({len(mine):,} items; sources {sources}; ")
    print(f"    raise-then-cut {raised:,}; with overlaps {overlapping:,}; our check statuses {statuses})")
    print(f"  ours     best {best_ours:.3f} s  median {statistics.median(times['ours']):.3f} s  (iter_item_checks)")
    print(f"  baseline best {best_base:.3f} s  median {statistics.median(times['baseline']):.3f} s  (one SQL)")
    print(f"  ratio ours/baseline (best) {best_ours / best_base:.2f}  (target ≤ 5)")
    print(f"  peak RSS {peak_rss_mb():.0f} MB (before timing {rss_before:.0f} MB)")
    if args.store:
        time_store()
    if args.explain:
        explain()
    if args.profile:
        profile()
    if mismatches:
        print(f"  {len(mismatches):,} mismatches (pk, ours, baseline), the first 20:")
        for row in mismatches[:20]:
            print("   ", row)
        sys.exit(1)


if __name__ == "__main__":
    main()
