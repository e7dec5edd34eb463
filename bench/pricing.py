#!/usr/bin/env python
"""Benchmark: reference prices of many promotion items, ours versus the best hand-written SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pricing python bench/pricing.py
    DATABASE_URL=… python bench/pricing.py --items 2000 --points 100000   # quick smoke run
    DATABASE_URL=… python bench/pricing.py --reuse                         # skip data generation

It works in its own database (``--database``, default ``bench_pricing``, on the
server of DATABASE_URL), which it drops and re-creates unless ``--reuse`` is
given. Data is generated server-side (INSERT … SELECT generate_series):
merchants, products (1 in 20 without any price, 1 in 7 priced only every 13
days so some items fall back, the rest daily), ``--points`` price points, and
``--items`` items in promotions starting on ten different days.

Then, in this one process and alternating, it times
- ours: ``promotions.pricing.reference_prices_for_items(PromotionItem.objects.all())``,
  the very function ``services.refresh_item_checks`` uses for many items, and
- the baseline: one hand-written query (LATERAL MIN over the window, the
  fallback evaluated only when the window is empty), fetched the same way,
checks that both give identical prices and sources for every item, and prints
the best and median times, their ratio (target ≤ 1.5) and the peak RSS. Then
it times, once, the full ``check_items`` the refresh uses (every rule, in
chunks of 2,000 items, nothing stored) for scale.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.support import ensure_secret_key  # noqa: E402

ensure_secret_key()

BASELINE_SQL = """
SELECT i.id,
       w.lowest,
       CASE WHEN w.lowest IS NULL THEN (
           SELECT pp.price FROM merchants_pricepoint pp
           WHERE pp.product_id = i.product_id
             AND pp.recorded_at < p.starts_at - make_interval(days => f.price_lookback_days)
           ORDER BY pp.recorded_at DESC LIMIT 1
       ) END AS fallback
FROM promotions_promotionitem i
JOIN promotions_promotion p ON p.id = i.promotion_id
JOIN festival_festival f ON f.id = p.festival_id
CROSS JOIN LATERAL (
    SELECT min(pp.price) AS lowest FROM merchants_pricepoint pp
    WHERE pp.product_id = i.product_id
      AND pp.recorded_at >= p.starts_at - make_interval(days => f.price_lookback_days)
      AND pp.recorded_at < p.starts_at
) w
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="promotion items (default 100,000)")
    parser.add_argument("--points", type=int, default=5_000_000, help="price points (default 5,000,000)")
    parser.add_argument("--products", type=int, default=None, help="products (default points / 100)")
    parser.add_argument("--merchants", type=int, default=100)
    parser.add_argument("--items-per-promotion", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (alternating)")
    parser.add_argument("--database", default="bench_pricing", help="database to (re)create and use")
    parser.add_argument("--reuse", action="store_true", help="use the data already in --database")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of both queries")
    parser.add_argument(
        "--no-full-check", action="store_true", help="skip timing the full item check (all rules, nothing stored)"
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
    promotions = max(args.items // max(min(args.items_per_promotion, per_merchant), 1), 1)
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
                   starts_at, ends_at, banner, banner_thumbnail, stream_host, stream_url, status, review_note,
                   created_at, updated_at)
               SELECT %(festival)s, (SELECT min(id) FROM merchants_merchant) + j %% %(merchants)s,
                      'Promotion ' || j, '', 'percent_off', 10,
                      %(start)s::timestamptz + make_interval(days => j %% 10),
                      %(start)s::timestamptz + make_interval(days => j %% 10 + 2),
                      '', '', '', '', 'submitted', '', now(), now()
               FROM generate_series(0, %(promotions)s - 1) j""",
        ),
        (
            "promotion items",
            """INSERT INTO promotions_promotionitem (promotion_id, product_id, promo_price, check_status,
                   reference_source, check_reasons)
               SELECT pm.first + n %% %(promotions)s,
                      pr.first + (n %% %(promotions)s) %% %(merchants)s
                        + %(merchants)s * ((n / %(promotions)s) %% %(per_merchant)s),
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
        "items": args.items,
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


def ours():
    from promotions import pricing
    from promotions.models import PromotionItem

    return pricing.reference_prices_for_items(PromotionItem.objects.all())


def as_tuples(references):
    return {pk: (ref.price, str(ref.source)) for pk, ref in references.items()}


def baseline():
    from django.db import connection

    from promotions.pricing import without_jit

    result = {}
    # The same server-side cursor and JIT setting as ours (see pricing.without_jit).
    with without_jit(), connection.chunked_cursor() as cursor:
        cursor.execute(BASELINE_SQL)
        while rows := cursor.fetchmany(2000):
            for pk, lowest, fallback in rows:
                if lowest is not None:
                    result[pk] = (lowest, "lookback")
                elif fallback is not None:
                    result[pk] = (fallback, "fallback")
                else:
                    result[pk] = (None, "none")
    return result


def explain():
    from django.db import connection

    from promotions import pricing
    from promotions.models import PromotionItem

    queryset = pricing.annotate_reference_prices(PromotionItem.objects.order_by())
    sql, params = queryset.values_list("pk", "pricing_signed_reference").query.sql_with_params()
    with pricing.without_jit(), connection.cursor() as cursor:
        for label, query, query_params in (("ours", sql, params), ("baseline", BASELINE_SQL, ())):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query, query_params)
            print(f"\n-- {label}\n" + "\n".join(row[0] for row in cursor.fetchall()))


def main():
    args = parse_args()
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
    print(f"Timing reference prices of {items:,} items against {points:,} price points, {args.runs} runs each")
    rss_before = peak_rss_mb()
    ours()  # warm the cache for both
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

    mine, theirs = as_tuples(results["ours"]), results["baseline"]
    identical = mine == theirs
    sources = {}
    for _price, source in theirs.values():
        sources[source] = sources.get(source, 0) + 1
    best_ours, best_base = min(times["ours"]), min(times["baseline"])
    print(f"  results identical: {identical} ({len(mine):,} items; sources {sources})")
    print(f"  ours     best {best_ours:.3f} s  median {statistics.median(times['ours']):.3f} s")
    print(f"  baseline best {best_base:.3f} s  median {statistics.median(times['baseline']):.3f} s")
    print(f"  ratio ours/baseline (best) {best_ours / best_base:.2f}  (target ≤ 1.5)")
    print(f"  peak RSS {peak_rss_mb():.0f} MB (before timing {rss_before:.0f} MB)")
    if not args.no_full_check:
        from promotions import pricing
        from promotions.models import PromotionItem

        start = time.perf_counter()
        statuses = {}
        for chunk in pricing.iter_item_checks(PromotionItem.objects.all()):
            for check in chunk:
                statuses[str(check.status)] = statuses.get(str(check.status), 0) + 1
        elapsed = time.perf_counter() - start
        print(
            f"  full check_items (reference, raise-then-cut, overlap, rules; nothing stored) "
            f"{elapsed:.3f} s {statuses}; peak RSS {peak_rss_mb():.0f} MB"
        )
    if args.explain:
        explain()
    if not identical:
        differing = [pk for pk in theirs if mine.get(pk) != theirs[pk]][:5]
        print("  first differences:", [(pk, mine.get(pk), theirs[pk]) for pk in differing])
        sys.exit(1)
    assert all(isinstance(p, Decimal) for p, _s in mine.values() if p is not None)


if __name__ == "__main__":
    main()
