"""Load test of GET /api/v1/promotions/?festival=…&page_size=100 (issue 6).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_api \
    REDIS_URL=redis://127.0.0.1:6379/4 \
    /work/main/.venv/bin/python bench/api_load.py [--promotions 50000] [--seconds 20] [--threads 4] [--workers 2]

Creates (once; reused when present) a festival with 50,000 approved
promotions on PostgreSQL, starts gunicorn on 127.0.0.1 (a free port), and runs
a bounded threaded HTTP client against our API and against a baseline — a
plain Django view that returns the same JSON from one hand-written query
(bench/api_urls.py) — alternating rounds, printing requests per second and
latency percentiles. Target: ours ≥ 0.7 × the baseline's throughput.
"""

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FESTIVAL_SLUG = "bench-api-festival"
# Realistic shape: many merchants and categories, several items per promotion. The name
# carries the shape's version, so a database seeded by an older shape is seeded again.
FESTIVAL_NAME = "Bench festival (2,000 merchants, 3 items a promotion)"
MERCHANTS = 2000
ITEMS_PER_PROMOTION = 3
CATEGORIES = 30


def setup_django():
    sys.path.insert(0, str(ROOT))
    from bench.support import ensure_secret_key

    ensure_secret_key()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.api_settings"
    url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_api")
    # As production runs: the throttles' counters and the cache in Redis.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
    if not url.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    from bench.support import ensure_database

    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(promotions: int):
    from django.db import transaction
    from django.utils import timezone

    from festival.models import Category, Festival, FestivalStatus
    from merchants.models import Merchant, MerchantKind, Participation, ParticipationStatus, Product
    from merchants.uscc import make_uscc
    from promotions.models import CheckStatus, Promotion, PromotionItem, PromotionKind, ReferenceSource

    festival = Festival.objects.filter(slug=FESTIVAL_SLUG).first()
    if festival and festival.name == FESTIVAL_NAME and festival.promotions.count() == promotions:
        print(f"reusing {promotions} promotions in {FESTIVAL_SLUG}")
        return
    print(f"seeding {promotions} promotions …", flush=True)
    started = time.perf_counter()
    rng = random.Random(6)
    now = timezone.now()
    with transaction.atomic():
        if festival:
            Promotion.objects.filter(festival=festival).delete()
            festival.delete()
        festival = Festival.objects.create(
            name=FESTIVAL_NAME,
            slug=FESTIVAL_SLUG,
            registration_opens_at=now - timedelta(days=30),
            registration_closes_at=now - timedelta(days=5),
            submission_deadline=now - timedelta(days=2),
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
            status=FestivalStatus.RUNNING,
        )
        categories = [
            Category.objects.get_or_create(slug=f"bench-{i}", defaults={"name": f"Bench {i}", "position": i})[0]
            for i in range(CATEGORIES)
        ]
        merchants = []
        for i in range(MERCHANTS):
            merchant, _ = Merchant.objects.get_or_create(
                uscc=make_uscc(f"91330100{i:09d}"),
                defaults={"name": f"Bench merchant {i}", "kind": MerchantKind.BRAND_ENTERPRISE},
            )
            merchants.append(merchant)
            Participation.objects.get_or_create(
                merchant=merchant, festival=festival, defaults={"status": ParticipationStatus.APPROVED}
            )
        products = {
            m.pk: [
                Product.objects.get_or_create(merchant=m, sku=f"BENCH-{k}", defaults={"name": f"Bench product {k}"})[0]
                for k in range(ITEMS_PER_PROMOTION)
            ]
            for m in merchants
        }
        kinds = [PromotionKind.PERCENT_OFF, PromotionKind.AMOUNT_OFF]
        rows = []
        for i in range(promotions):
            start = festival.starts_at + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
            kind = kinds[i % 2]
            rows.append(
                Promotion(
                    festival=festival,
                    merchant=merchants[i % len(merchants)],
                    title=f"Bench promotion {i}",
                    description="A promotion for the load test.",
                    kind=kind,
                    percent_off=Decimal("15.00") if kind == PromotionKind.PERCENT_OFF else None,
                    amount_off=Decimal("20.00") if kind == PromotionKind.AMOUNT_OFF else None,
                    starts_at=start,
                    ends_at=start + timedelta(days=3),
                    status="approved",
                )
            )
        created = Promotion.objects.bulk_create(rows, batch_size=5000)
        through = Promotion.categories.through
        through.objects.bulk_create(
            [
                through(promotion_id=p.pk, category_id=categories[(p.pk + k) % CATEGORIES].pk)
                for p in created
                for k in (0, 7)
            ],
            batch_size=10000,
        )
        PromotionItem.objects.bulk_create(
            [
                PromotionItem(
                    promotion=p,
                    product=product,
                    promo_price=Decimal("80.00"),
                    reference_price=Decimal("100.00"),
                    reference_source=ReferenceSource.LOOKBACK,
                    real_discount_percent=Decimal("20.00"),
                    check_status=CheckStatus.PASS,
                    check_reasons=[],
                    checked_at=now,
                )
                for p in created
                for product in products[p.merchant_id]
            ],
            batch_size=10000,
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)


def start_api_gunicorn(port, workers):
    from bench.support import start_gunicorn

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.api_settings", "PYTHONPATH": str(ROOT)}
    return start_gunicorn(env, port, workers=workers, ready_path="/api/v1/festivals/")


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        return response.status, body
    finally:
        conn.close()


def load(port, path_for, seconds, threads):
    """Bounded closed-loop load: ``threads`` clients for ``seconds`` seconds."""
    latencies, errors = [], []
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def client(n):
        i = n
        mine, bad = [], 0
        while time.perf_counter() < stop:
            started = time.perf_counter()
            status, _body = get(port, path_for(i))
            mine.append(time.perf_counter() - started)
            bad += status != 200
            i += threads
        with lock:
            latencies.extend(mine)
            errors.append(bad)

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": sum(errors),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--promotions", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pages", type=int, default=20, help="cycle through this many pages")
    args = parser.parse_args()

    setup_django()
    seed(args.promotions)
    from bench.support import free_port

    port = free_port()
    server = start_api_gunicorn(port, args.workers)
    try:
        ours = "/api/v1/promotions/?festival={slug}&page_size=100&page={page}"
        baseline = "/bench/baseline/promotions/?festival={slug}&page_size=100&page={page}"

        def paths(template):
            return lambda i: template.format(slug=FESTIVAL_SLUG, page=1 + i % args.pages)

        # Same JSON on the first, second, a middle and the last page cycled through?
        same = True
        for i in sorted({0, 1, args.pages // 2, args.pages - 1}):
            ours_body = json.loads(get(port, paths(ours)(i))[1])
            base_body = json.loads(get(port, paths(baseline)(i))[1])
            for link in ("next", "previous"):
                if ours_body[link]:
                    ours_body[link] = ours_body[link].replace("/api/v1/promotions/", "/bench/baseline/promotions/")
            page_same = ours_body == base_body
            same = same and page_same
            print(
                f"same JSON on page {i + 1}: {page_same}; count={ours_body['count']}, "
                f"results={len(ours_body['results'])}, items={sum(len(r['items']) for r in ours_body['results'])}"
            )
        for template in (ours, baseline):  # warm up both
            for i in range(args.pages):
                get(port, paths(template)(i))

        results = {"ours": [], "baseline": []}
        for round_number in range(1, args.rounds + 1):
            for name, template in (("baseline", baseline), ("ours", ours)):
                figures = load(port, paths(template), args.seconds, args.threads)
                results[name].append(figures)
                print(
                    f"round {round_number} {name:8s}: {figures['rps']:7.1f} req/s  p50 {figures['p50_ms']:6.1f} ms  "
                    f"p99 {figures['p99_ms']:6.1f} ms  ({figures['requests']} requests, {figures['errors']} errors)",
                    flush=True,
                )
        ours_rps = statistics.mean(r["rps"] for r in results["ours"])
        base_rps = statistics.mean(r["rps"] for r in results["baseline"])
        ours_p99 = max(r["p99_ms"] for r in results["ours"])
        base_p99 = max(r["p99_ms"] for r in results["baseline"])
        ratio = ours_rps / base_rps
        print()
        print(f"GET /api/v1/promotions/?festival=…&page_size=100 over {args.promotions} promotions")
        print(f"  ours     : {ours_rps:7.1f} req/s, p99 {ours_p99:6.1f} ms")
        print(f"  baseline : {base_rps:7.1f} req/s, p99 {base_p99:6.1f} ms")
        print(
            f"  ratio    : {ratio:.2f} × baseline throughput (target ≥ 0.70) → {'OK' if ratio >= 0.7 else 'BELOW TARGET'}"
        )
        return 0 if same else 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
