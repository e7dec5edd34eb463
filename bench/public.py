"""Throughput of the public home page and promotions list (issue 11), cached
and uncached, against a plain view returning the same HTML from one
hand-written query that reads everything the page shows (bench/public_urls.py;
checked against the page's own selectors before anything is measured).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/festival_public \
    REDIS_URL=redis://127.0.0.1:6379/2 \
    /work/main/.venv/bin/python bench/public.py [--promotions 5000] [--seconds 10]

Creates (once; reused when present) a running festival with N live promotions
of N/2 approved merchants, three checked items each, then drives the views
in-process with Django's test client (the full middleware stack, no network),
alternating ours and the baseline, and prints requests per second and the
ratios. "uncached" asks for a URL the page cache does not hold on every request
(the list's next filter or page: the version read, the page missed, every query
made and the page rendered and stored; what the process already read under the
same version, public.cache.kept, and the HTML of a promotion card whose content
is unchanged, public/cards.py, are used as in production); "cold" also renders
every card (no card cache). The baseline is asked for the same URLs.

Each mode is measured paired with the baseline: batches of ``BATCH`` requests
of each in turn, for ``--seconds``, and the ratio is of their total times. The
machine's other work and its drift (on a shared 2-core machine the same loop
can run a third slower a minute later) then weigh on both alike, where timing
each in its own stretch of seconds compared two different machines. The spread
of the batches' ratios is printed beside each ratio.
Targets: uncached ≥ 0.5 × the baseline, cached ≥ 2 ×.
"""

import argparse
import itertools
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FESTIVAL_SLUG = "bench-public-festival"


def setup_django():
    sys.path.insert(0, str(ROOT))
    from bench.support import ensure_secret_key

    ensure_secret_key()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.public_settings"
    url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/festival_public")
    if url.startswith("postgres"):
        from bench.support import ensure_database

        ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(promotions: int):
    from django.db import transaction
    from django.utils import timezone

    from festival.models import Category, Festival
    from merchants.models import Merchant, Participation, Product
    from promotions.models import Promotion, PromotionItem
    from promotions.tallies import rebuild_tallies

    festival = Festival.objects.filter(slug=FESTIVAL_SLUG).first()
    if festival and festival.promotions.count() == promotions:
        rebuild_tallies(Festival.objects.filter(pk=festival.pk))  # a database seeded before the roll-ups
        return festival
    now = timezone.now()
    with transaction.atomic():
        if festival:
            festival.promotions.all().delete()
            festival.delete()
        festival = Festival.objects.create(
            name="基准网购节",
            name_en="Bench festival",
            slug=FESTIVAL_SLUG,
            registration_opens_at=now - timedelta(days=40),
            registration_closes_at=now - timedelta(days=20),
            submission_deadline=now - timedelta(days=19),
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=300),
            status="running",
        )
        category, _ = Category.objects.get_or_create(slug="bench-category", defaults={"name": "基准类别"})
        merchants = Merchant.objects.bulk_create(
            Merchant(
                name=f"基准商家 {i}", kind="brand_enterprise", uscc=None, country="KZ"
            )  # no USCC needed outside CN
            for i in range(max(1, promotions // 2))
        )
        Participation.objects.bulk_create(
            Participation(merchant=m, festival=festival, status="approved") for m in merchants
        )
        products = Product.objects.bulk_create(
            Product(merchant=merchants[i % len(merchants)], sku=f"BENCH-{i}", name=f"基准商品 {i}")
            for i in range(promotions * 3)
        )
        created = Promotion.objects.bulk_create(
            Promotion(
                festival=festival,
                merchant=merchants[i % len(merchants)],
                title=f"基准促销 {i}",
                kind="percent_off",
                percent_off=Decimal("20"),
                starts_at=festival.starts_at + timedelta(minutes=i % 600),
                ends_at=festival.ends_at - timedelta(hours=1),
                status="live",
            )
            for i in range(promotions)
        )
        Promotion.categories.through.objects.bulk_create(
            Promotion.categories.through(promotion_id=p.pk, category_id=category.pk) for p in created
        )
        PromotionItem.objects.bulk_create(
            PromotionItem(
                promotion=created[i // 3],
                product=products[i],
                promo_price=Decimal("80.00"),
                check_status="pass",
                reference_price=Decimal("100.00"),
                reference_source="lookback",
                real_discount_percent=Decimal("20.00"),
                checked_at=now,
            )
            for i in range(promotions * 3)
        )
        rebuild_tallies(Festival.objects.filter(pk=festival.pk))  # bulk inserts, past the services (as seed_demo)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return festival


_MISSES = itertools.count()  # the query strings of "miss" requests: each URL asked once
BATCH = 20  # requests of one side before the other side's turn


def _timed(client, url, count, *, miss):
    """Seconds to ask ``url`` ``count`` times; with ``miss`` every request asks for a URL not asked for before."""
    started = time.perf_counter()
    for _ in range(count):
        asked = f"{url}?miss={next(_MISSES)}" if miss else url
        response = client.get(asked)
        assert response.status_code == 200, (asked, response.status_code)
        if miss:
            assert response.get("X-Page-Cache") in (None, "miss"), asked  # the baseline sets none
    return time.perf_counter() - started


@dataclass
class Paired:
    ours: float  # requests per second
    baseline: float
    spread: tuple[float, float, float]  # the batches' ratios (ours ÷ baseline): 10th percentile, median, 90th

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline


def _paired(client, ours, baseline, seconds, *, miss) -> Paired:
    """Ours and the baseline in alternating batches for ``seconds`` (each batch pair in
    turn starting with the other side); the baseline always asks for new URLs."""
    ours_seconds = baseline_seconds = 0.0
    ratios = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or not ratios:
        sides = [(ours, miss), (baseline, True)]
        if len(ratios) % 2:
            sides.reverse()
        took = {url: _timed(client, url, BATCH, miss=asked_new) for url, asked_new in sides}
        ours_seconds += took[ours]
        baseline_seconds += took[baseline]
        ratios.append(took[baseline] / took[ours])
    ratios.sort()
    count = BATCH * len(ratios)
    spread = (ratios[len(ratios) // 10], statistics.median(ratios), ratios[len(ratios) * 9 // 10])
    return Paired(ours=count / ours_seconds, baseline=count / baseline_seconds, spread=spread)


def _same_html(ours: bytes, baseline: bytes) -> bool:
    """The same page but for the CSP nonce (new on every response)."""
    nonce = re.compile(rb'nonce="[^"]*"')
    return nonce.sub(b"", ours) == nonce.sub(b"", baseline)


def check_baseline(festival):
    """The baseline queries read what the pages show: the same rows as the views' selectors."""
    from django.utils import timezone, translation

    from bench import public_urls
    from public import selectors, views

    rows = public_urls.list_rows(festival.slug)
    listed = selectors.listed_promotions(
        selectors.search_promotions(festival, selectors.PromotionFilters()), 1, festival=festival
    )
    page = listed.page
    assert [row[2] for row in rows] == [p.pk for p in page.object_list], "list baseline: other promotions"
    assert min(rows[0][3], selectors.LIST_COUNT_LIMIT) == page.paginator.count, "list baseline: another count"
    assert [[i["id"] for i in row[5] or []] for row in rows] == [
        [item[1] for item in listed.items.get(p.pk, [])] for p in page.object_list
    ], "list baseline: other items"

    now = timezone.now()
    featured, editions, _subs = selectors.home_festivals(now=now)
    with translation.override("en"):
        context = views._festival_context(featured, now=now)
    row = public_urls.home_row(now)
    assert row[0]["id"] == featured.pk, "home baseline: another festival"
    assert [c["live"] for c in row[2]] == [c.count for c in context["category_counts"]], "home baseline: counts"
    assert [m["id"] for m in row[3] or []] == [m.pk for m in context["time_honoured"]], "home baseline: brands"
    assert [m["id"] for m in row[4] or []] == [m.pk for m in context["certified_produce"]], "home baseline: produce"
    assert [c["card"]["id"] for c in row[5] or []] == [c.pk for c in context["live_now"]], "home baseline: live"
    assert [c["card"]["id"] for c in row[6] or []] == [c.pk for c in context["starting_soon"]], "home baseline: soon"
    assert [e["slug"] for e in row[7] or []] == [e.slug for e in editions], "home baseline: editions"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--promotions", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10, help="of each mode, paired with the baseline")
    args = parser.parse_args()
    setup_django()

    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import override_settings

    from bench import public_urls
    from public import cache as page_cache

    festival = seed(args.promotions)
    check_baseline(festival)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    pages = {
        "home": ("/", f"/bench/baseline/home/{festival.slug}/"),
        "promotions": (f"/festivals/{festival.slug}/promotions/", f"/bench/baseline/promotions/{festival.slug}/"),
    }
    print(
        f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
        f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, "
        f"{args.promotions} promotions, each mode {args.seconds}s paired with the baseline in batches of {BATCH}"
    )
    modes = {  # mode: (settings, every request a page-cache miss)
        "cold": ({"PUBLIC_CARD_CACHE_SECONDS": 0}, True),
        "uncached": ({}, True),
        "cached": ({}, False),
    }
    for name, (ours, baseline) in pages.items():
        page_cache.bump()
        public_urls.BASELINE_HTML[name] = client.get(ours).content
        measured = {}
        for mode, (overrides, miss) in modes.items():
            with override_settings(**overrides):
                page_cache.bump()
                rendered = client.get(ours)  # a miss, which warms what the mode keeps
                assert rendered["X-Page-Cache"] == "miss", (name, mode)
                assert _same_html(rendered.content, public_urls.BASELINE_HTML[name]), (name, mode)
                measured[mode] = _paired(client, ours, baseline, args.seconds, miss=miss)
        baseline_rate = statistics.mean(paired.baseline for paired in measured.values())
        print(
            f"{name:<11} baseline {baseline_rate:7.1f} req/s | "
            + " | ".join(
                f"{mode} {paired.ours:7.1f} req/s ({paired.ratio:.2f}×; batches {paired.spread[0]:.2f}–{paired.spread[2]:.2f})"
                for mode, paired in measured.items()
            )
            + " | targets: uncached ≥ 0.5×, cached ≥ 2×"
        )
    cache.close()


if __name__ == "__main__":
    main()
