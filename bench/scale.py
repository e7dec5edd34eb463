#!/usr/bin/env python3
"""Benchmark: does every page hold as the data grows? Two sizes in one run.

Seeds two PostgreSQL databases with ``manage.py seed_scale`` (a small preset and a
large one; skipped when already seeded), then, for each, starts a measuring process
that requests every page and endpoint a user hits — public pages, the admin (index,
every changelist incl. the review queue and its filters, common and rare searches, change
pages, dashboard, the export form and a merchant's export), the merchant portal and the
API (lists, details, filters, deep pages) — through
Django's full WSGI stack (middleware, sessions, templates; ``DEBUG`` off), and
prints per page: p50 and p99 (ms), queries and response size at each size, and the
growth factor large/small. It also times one clock tick that opens about 10% of the
promotions and a full honest-price recheck of every submitted item (both rolled back).

    .venv/bin/python bench/scale.py [--small xs] [--large medium] [--repeat 20] [--rounds 2]

Pages are chosen to exist at both sizes (deep pages are page 15); public pages are
rendered on every request (the page cache is off in the measuring process).
Target (issue 17): p50 growth ≤ 1.5×, the same number of queries at both sizes, and
no response body that grows with the data. Databases: festival_scale_<preset> on
127.0.0.1:5432 unless SCALE_DATABASE_URL_TEMPLATE (with ``{preset}``) says otherwise.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.support import ensure_secret_key  # noqa: E402

ensure_secret_key()
URL_TEMPLATE = os.environ.get(
    "SCALE_DATABASE_URL_TEMPLATE", "postgres://postgres@127.0.0.1:5432/festival_scale_{preset}"
)
PYTHON = sys.executable


def child_env(url):
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "festival.settings", "LOG_LEVEL": "WARNING"}
    # Public pages are measured rendered, not served from the page cache: a cached page
    # says nothing of growth, and any change empties the cache (public/cache.py).
    env["PUBLIC_PAGE_CACHE_SECONDS"] = "0"
    env.pop("DEBUG", None)
    return env


def seed(preset, url):
    from bench.support import ensure_database

    ensure_database(url)
    env = child_env(url)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    started = time.monotonic()
    subprocess.run([PYTHON, "manage.py", "seed_scale", "--preset", preset], cwd=ROOT, env=env, check=True)
    print(f"seed_scale --preset {preset}: {time.monotonic() - started:,.0f} s", flush=True)


# The measuring process ------------------------------------------------------------------


# The columns of the promotions export measured (an organiser's usual choice).
EXPORTED = ("id", "title", "merchant", "festival", "kind", "status", "categories", "starts_at", "ends_at")


def pages(ctx):
    """(name, method, path, client) of every page measured; names are the same at every size."""
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    def url(name, *args, query=""):
        try:
            return reverse(name, args=args) + query
        except NoReverseMatch:
            return None

    from urllib.parse import quote

    festival, promotion, merchant, product = ctx["festival"], ctx["promotion"], ctx["merchant"], ctx["product"]
    staff, owner, api = ctx["staff"], ctx["owner"], ctx["api"]
    anonymous = ctx["anonymous"]
    listed = [
        ("public home", url("public:index"), anonymous),
        ("public festival", url("public:festival", festival.slug), anonymous),
        ("public promotions", url("public:promotions", festival.slug), anonymous),
        ("public promotions search", url("public:promotions", festival.slug, query="?q=茶叶"), anonymous),
        ("public promotions page 15", url("public:promotions", festival.slug, query="?page=15"), anonymous),
        ("public promotion", url("public:promotion", promotion.pk), anonymous),
        ("public merchants", url("public:merchants"), anonymous),
        ("public merchant", url("public:merchant", merchant.pk), anonymous),
        ("public results", url("public:results", ctx["closed"].slug), anonymous),
        ("admin index", url("admin:index"), staff),
        ("admin review queue", url("admin:promotions_promotion_changelist", query="?status__exact=submitted"), staff),
        (
            "admin queue by festival",
            url(
                "admin:promotions_promotion_changelist",
                query=f"?status__exact=submitted&festival__id__exact={festival.pk}",
            ),
            staff,
        ),
        ("admin promotions search", url("admin:promotions_promotion_changelist", query="?q=规模促销"), staff),
        ("admin promotions page 15", url("admin:promotions_promotion_changelist", query="?p=15"), staff),
        # A rare word (one promotion's number) and a merchant's credit code: an organiser
        # looking one up, where the common word above fills a page from the first rows.
        (
            "admin promotions search, rare",
            url("admin:promotions_promotion_changelist", query=f"?q={quote(promotion.title)}"),
            staff,
        ),
        # The first promotion's number is mostly zeros, whose trigrams most numbers share;
        # the last one's is a number like most.
        (
            "admin promotions search, rare, last",
            url("admin:promotions_promotion_changelist", query=f"?q={quote(ctx['last_promotion'].title)}"),
            staff,
        ),
        (
            "admin promotions by USCC",
            url("admin:promotions_promotion_changelist", query=f"?q={merchant.uscc}"),
            staff,
        ),
        ("admin promotions export form", url("admin:promotions_promotion_export"), staff),
        (
            "admin export of a merchant's promotions",
            url("admin:promotions_promotion_export", query=f"?q={merchant.uscc}"),
            staff,
            {"format": "0", "resource": "0", **{f"promotionresource_{name}": "on" for name in EXPORTED}},
        ),
        ("admin promotion change", url("admin:promotions_promotion_change", promotion.pk), staff),
        ("admin merchant change", url("admin:merchants_merchant_change", merchant.pk), staff),
        ("admin dashboard", url("admin:promotions_dashboard"), staff),
        ("portal home", url("merchant:home"), owner),
        ("portal products", url("merchant:products"), owner),
        ("portal product", url("merchant:product_detail", product.pk), owner),
        ("portal promotions", url("merchant:promotion_list", query="?status=submitted"), owner),
        ("portal promotion", url("merchant:promotion_detail", ctx["own_promotion"].pk), owner),
        ("api promotions", url("api:promotion-list"), api),
        ("api promotions page 15", url("api:promotion-list", query="?page=15"), api),
        # Halfway down the list by cursor (as next links give past page 50).
        ("api promotions deep, by cursor", url("api:promotion-list", query=f"?cursor={ctx['deep_cursor']}"), api),
        ("api promotions filtered", url("api:promotion-list", query=f"?festival={festival.slug}&status=live"), api),
        ("api promotion", url("api:promotion-detail", promotion.pk), api),
        ("api merchants", url("api:merchant-list"), api),
        ("api merchants page 3", url("api:merchant-list", query="?page=3"), api),
        ("api merchant", url("api:merchant-detail", merchant.pk), api),
        ("api products", url("api:product-list"), ctx["merchant_api"]),  # a merchant's own products
        ("api festivals", url("api:festival-list"), api),
    ]
    for model, _model_admin in sorted(admin.site._registry.items(), key=lambda pair: pair[0]._meta.label):
        opts = model._meta
        listed.append(
            (f"admin {opts.label_lower} list", url(f"admin:{opts.app_label}_{opts.model_name}_changelist"), staff)
        )
    # (name, path, client, POST data or None)
    return [(*page, None) if len(page) == 3 else page for page in listed if page[1]]


def measure(repeat, *, work=True):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "festival.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from api.services import create_api_key
    from demo.scale import CLOSED_SLUG, RUNNING_SLUG
    from festival.models import Festival
    from merchants.models import Membership, MembershipRole, Merchant, Product
    from promotions.models import Promotion, PromotionItem, PromotionStatus

    user_model = get_user_model()
    staff_user, _ = user_model.objects.get_or_create(
        username="scale-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    busiest = Merchant.objects.annotate(n=Count("promotions")).order_by("-n", "pk").first()
    owner_user, created = user_model.objects.get_or_create(username="scale-owner")
    if created:
        Membership.objects.create(user=owner_user, merchant=busiest, role=MembershipRole.OWNER)
    _key, raw_key = create_api_key(name="scale bench", scopes=["read"])
    _key, merchant_key = create_api_key(name="scale bench (merchant)", scopes=["read"], merchant=busiest)

    staff, owner, anonymous = Client(), Client(), Client()
    staff.force_login(staff_user)
    owner.force_login(owner_user)
    api = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    running = Festival.objects.get(slug=RUNNING_SLUG)
    ctx = {
        "festival": running,
        "closed": Festival.objects.get(slug=CLOSED_SLUG),
        "promotion": Promotion.objects.filter(festival=running, status=PromotionStatus.LIVE).order_by("pk").first(),
        "last_promotion": Promotion.objects.filter(festival=running, status=PromotionStatus.LIVE).order_by("pk").last(),
        "deep_cursor": deep_cursor(),
        "merchant": busiest,
        "product": Product.objects.filter(merchant=busiest).order_by("pk").first(),
        "own_promotion": Promotion.objects.filter(merchant=busiest).order_by("pk").first(),
        "staff": staff,
        "owner": owner,
        "api": api,
        "merchant_api": Client(HTTP_AUTHORIZATION=f"Api-Key {merchant_key}"),
        "anonymous": anonymous,
    }
    results = {}
    for name, path, client, data in pages(ctx):

        def fetch(client=client, path=path, data=data):
            return client.get(path) if data is None else client.post(path, data)

        started = time.perf_counter()
        fetch()  # warm: templates, caches the page itself keeps
        warm = time.perf_counter() - started
        times = []
        # A page that takes seconds is measured 3 times, not 20: the figure is clear by then.
        for _ in range(repeat if warm < 2 else min(repeat, 3)):
            started = time.perf_counter()
            response = fetch()
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            response = fetch()
        print(f"{name}: {statistics.median(times):,.0f} ms", file=sys.stderr, flush=True)
        results[name] = {
            "path": path,
            "status": response.status_code,
            "p50": statistics.median(times),
            "p99": max(times) if len(times) < 100 else statistics.quantiles(times, n=100)[98],
            "queries": len(queries),
            "bytes": len(response.content) if not response.streaming else len(b"".join(response.streaming_content)),
        }

    from promotions.clock import tick
    from promotions.services import refresh_checks_for_items

    now = timezone.now()
    jobs = [
        ("clock tick (+73 h)", lambda: tick(now=now + timedelta(hours=73))),
        (
            "recheck submitted items",
            lambda: refresh_checks_for_items(PromotionItem.objects.filter(promotion__status=PromotionStatus.SUBMITTED)),
        ),
    ]
    for name, job in jobs if work else []:
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            job()
            elapsed = (time.perf_counter() - started) * 1000
            transaction.set_rollback(True)
        results[name] = {"path": "", "status": 0, "p50": elapsed, "p99": elapsed, "queries": len(queries), "bytes": 0}
    counts = {
        "merchants": Merchant.objects.count(),
        "promotions": Promotion.objects.count(),
        "items": PromotionItem.objects.count(),
        "approved": Promotion.objects.filter(status=PromotionStatus.APPROVED).count(),
    }
    print(json.dumps({"counts": counts, "pages": results}))


def best_of(kept, run):
    """Each page's lower p50 and p99 of two runs at one size (queries and bodies are the same)."""
    if kept is None:
        return run
    for name, page in run["pages"].items():
        old = kept["pages"].get(name)
        if old is not None:
            page["p50"], page["p99"] = min(page["p50"], old["p50"]), min(page["p99"], old["p99"])
    run["pages"] = {**kept["pages"], **run["pages"]}  # the tick and recheck are timed in the first round only
    return run


def deep_cursor() -> str:
    """The API's cursor of a page halfway down the promotions list."""
    from api.pagination import ApiPagination, encode_cursor
    from promotions.models import Promotion

    middle = Promotion.objects.count() // 2
    starts_at, pk = Promotion.objects.order_by("starts_at", "pk").values_list("starts_at", "pk")[middle]
    return encode_cursor(middle // ApiPagination.page_size + 1, [starts_at, pk])


def run_size(preset, repeat, *, work=True):
    url = URL_TEMPLATE.format(preset=preset)
    output = subprocess.run(
        [PYTHON, __file__, "--measure", "--repeat", str(repeat), *([] if work else ["--no-work"])],
        cwd=ROOT,
        env=child_env(url),
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", default="xs")
    parser.add_argument("--large", default="medium")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="Measure small, large, small, large… and keep each page's best p50 and p99: the "
        "machine's other work then weighs on both sizes alike.",
    )
    parser.add_argument("--no-seed", action="store_true", help="Measure the databases as they are.")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-work", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(args.repeat, work=not args.no_work)

    if not args.no_seed:
        for preset in (args.small, args.large):
            seed(preset, URL_TEMPLATE.format(preset=preset))
    small, large = None, None
    for _round in range(args.rounds):
        work = _round == 0
        small = best_of(small, run_size(args.small, args.repeat, work=work))
        large = best_of(large, run_size(args.large, args.repeat, work=work))
    for label, size in ((args.small, small), (args.large, large)):
        print(f"{label}: " + ", ".join(f"{k} {v:,}" for k, v in size["counts"].items()))
    header = f"{'page':<44} {'p50 S':>8} {'p50 L':>8} {'p99 L':>8} {'growth':>7} {'q S':>4} {'q L':>4} {'KB S':>6} {'KB L':>6}"
    print(header)
    print("-" * len(header))
    failing = []
    for name, s in small["pages"].items():
        row = large["pages"].get(name)
        if row is None:
            continue
        growth = row["p50"] / s["p50"] if s["p50"] else float("inf")
        flags = []
        if growth > 1.5:
            flags.append("slow")
        if row["queries"] != s["queries"]:
            flags.append("queries")
        if row["bytes"] > max(s["bytes"] * 1.2, s["bytes"] + 4096):
            flags.append("body")
        if row["status"] not in (0, 200):
            flags.append(f"HTTP {row['status']}")
        if flags:
            failing.append(name)
        print(
            f"{name:<44} {s['p50']:>8.1f} {row['p50']:>8.1f} {row['p99']:>8.1f} {growth:>6.2f}× "
            f"{s['queries']:>4} {row['queries']:>4} {s['bytes'] / 1024:>6.0f} {row['bytes'] / 1024:>6.0f}"
            + (f"  ← {', '.join(flags)}" if flags else "")
        )
    print(f"\n{len(failing)} of {len(small['pages'])} miss the target (growth ≤ 1.5×, equal queries, flat body).")


if __name__ == "__main__":
    main()
