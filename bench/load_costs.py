"""What each request of bench/load.py's mixed load costs, in-process, and what that
allows its throughput to be against the trivial view (issue 15, "Measured").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_load \\
    REDIS_URL=redis://127.0.0.1:6379/9 \\
    /work/main/.venv/bin/python bench/load_costs.py [--times 100]

Run it after bench/load.py, on the same database: it reads the request counts of
the last mixed and trivial runs from var/bench-load/ (``mixed_stats.csv`` and
``trivial_stats.csv``, or the last round's) and asks every kind of request the
load's users make (bench/locustfile.py) through Django's test client with the
production settings (``DEBUG=false``, the full middleware, PostgreSQL, Redis), one
at a time, ``--times`` times each. It prints each kind's median wall time, the CPU
it costs (this process, plus the PostgreSQL backend serving it read from /proc,
plus the Redis server from ``INFO cpu``), its queries and its cache round trips;
public pages both as page-cache hits and as misses (the cache emptied before each),
since the load's clock ticks empty it every few seconds.

Then the arithmetic of the target. gunicorn served the trivial view at T requests a
second on the machine's C cores, so a trivial request costs the machine C / T
seconds, of which t is its own CPU in Django; the rest, o, is what serving any
request costs there (gunicorn, the sockets, locust's own share, the kernel). A
request of the mix, weighted by the counts the load run made, costs m of CPU in
Django, PostgreSQL and Redis; with every core busy all the time the machine then
serves at most C / (m + o) of them a second, so the mixed throughput is at most
(t + o) / (m + o) of the trivial one. The bound is printed beside the target
(0.40), with the public pages all misses (each rendered) and all hits (the best
case); a load run sees a mix of both.
"""

import argparse
import csv
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ART = ROOT / "var" / "bench-load"
TARGET_RATIO = 0.40


def last_stats(kind: str) -> dict[str, int]:
    """Request counts by name of the last ``kind`` run (``mixed`` or ``trivial``) bench/load.py made."""
    runs = sorted(ART.glob(f"{kind}*_stats.csv"), key=lambda path: path.stat().st_mtime)
    if not runs:
        sys.exit(f"No {kind} run in {ART}: run bench/load.py first, on this database.")
    rows = list(csv.DictReader(runs[-1].read_text(encoding="utf-8").splitlines()))
    return {row["Name"]: (int(row["Request Count"]), float(row["Requests/s"])) for row in rows}


class Counting:
    """Counts the Redis commands (and pipelines) redis-py sends."""

    def __init__(self):
        import redis
        from redis.client import Pipeline

        self.count = 0
        for owner, name in ((redis.Redis, "execute_command"), (Pipeline, "execute")):
            original = getattr(owner, name)

            def counted(*args, _original=original, **kwargs):
                self.count += 1
                return _original(*args, **kwargs)

            setattr(owner, name, counted)


def _backend_cpu(pid: int) -> float:
    """Seconds of CPU the PostgreSQL backend ``pid`` has used (it runs on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _redis_cpu(client) -> float:
    info = client.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


def measure(ask: Callable, times: int, *, before: Callable | None = None, redis: Counting) -> dict:
    """The median wall time of ``ask()`` and the mean CPU it costs this process, the
    PostgreSQL backend serving it and the Redis server (``before()``, a step the request
    needs first, is left out of both)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        if before:
            before()
        ask()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    server = cache._cache.get_client()
    took, cpu = [], 0.0
    for _ in range(times):
        if before:
            before()
        services = _backend_cpu(backend) + _redis_cpu(server)
        redis.count = 0
        with CaptureQueriesContext(connection) as queries:
            started, own = time.perf_counter(), time.process_time()
            response = ask()
            took.append(time.perf_counter() - started)
            own = time.process_time() - own
        round_trips = redis.count
        cpu += own + _backend_cpu(backend) + _redis_cpu(server) - services
        assert response.status_code in (200, 201, 302), (response.status_code, response.content[:300])
    return {
        "ms": 1000 * statistics.median(took),
        "cpu": 1000 * cpu / times,
        "queries": len(queries.captured_queries),
        "redis": round_trips,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--times", type=int, default=100, help="requests of each kind")
    parser.add_argument("--cores", type=int, default=os.cpu_count(), help="the machine's cores (default: all)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from bench import load
    from bench.support import CSRF, RECORDED_AT

    mixed_counts, trivial_counts = last_stats("mixed"), last_stats("trivial")
    load.setup_django(fresh=False)
    config, festival, _merchants = load.prepare()
    redis = Counting()

    from django.contrib.auth import get_user_model
    from django.test import Client

    from public import cache as page_cache

    visitor, partner, staff = Client(), Client(), Client()
    key, login = config["api_keys"][0], config["portal_logins"][0]
    keyed = {"HTTP_AUTHORIZATION": f"Api-Key {key['key']}", "HTTP_ACCEPT": "application/json"}
    staff.force_login(get_user_model().objects.get(username=login["username"]))
    slug = festival.slug
    promotion = config["promotions"][0]
    made = {"api": [], "portal": []}

    def api_product():
        sku = f"COST-{uuid.uuid4().hex[:12]}"
        response = partner.post(
            "/api/v1/products/",
            {"sku": sku, "name": f"成本 {sku}", "unit": "件"},
            content_type="application/json",
            **keyed,
        )
        made["api"].append(response.json()["id"])
        return response

    def api_price():
        body = {"price": "12.34", "recorded_at": datetime.now(UTC).isoformat()}
        return partner.post(
            f"/api/v1/products/{made['api'][-1]}/prices/", body, content_type="application/json", **keyed
        )

    forms = {}

    def portal_form():
        response = staff.get("/merchant/products/add/")
        forms["add"] = CSRF.search(response.content.decode()).group(1)
        return response

    def portal_product():
        sku = f"COST-{uuid.uuid4().hex[:12]}"
        data = {"csrfmiddlewaretoken": forms["add"], "sku": sku, "name": f"成本 {sku}", "unit": "件", "category": ""}
        response = staff.post("/merchant/products/add/", data)
        made["portal"].append(int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))
        return response

    def portal_product_page():
        response = staff.get(f"/merchant/products/{made['portal'][-1]}/")
        page = response.content.decode()
        forms["price"] = (CSRF.search(page).group(1), RECORDED_AT.search(page).group(1))
        return response

    def portal_price():
        token, recorded_at = forms["price"]
        data = {"csrfmiddlewaretoken": token, "price": "23.45", "recorded_at": recorded_at}
        return staff.post(f"/merchant/products/{made['portal'][-1]}/", data)

    public = {
        "public: /": lambda: visitor.get("/"),
        "public: festival": lambda: visitor.get(f"/festivals/{slug}/"),
        "public: promotions list": lambda: visitor.get(f"/festivals/{slug}/promotions/"),
        "public: promotion": lambda: visitor.get(f"/promotions/{promotion}/"),
    }
    others = {
        "api: promotions?festival": lambda: partner.get(f"/api/v1/promotions/?festival={slug}&page_size=20", **keyed),
        "api: merchants": lambda: partner.get(f"/api/v1/merchants/?festival={slug}", **keyed),
        "api: products": lambda: partner.get("/api/v1/products/", **keyed),
        "api: POST product": api_product,
        "api: POST price": api_price,  # of the products just made
        "portal: home": lambda: staff.get("/merchant/"),
        "portal: products": lambda: staff.get("/merchant/products/"),
        "portal: product form": portal_form,
    }
    costs = {}
    for name, ask in public.items():
        costs[name] = {
            "hit": measure(ask, args.times, redis=redis),
            "miss": measure(ask, args.times, before=page_cache.bump, redis=redis),
        }
    for name, ask in others.items():
        costs[name] = measure(ask, args.times, redis=redis)
    # Each form post needs the page before it (its CSRF token, the product): untimed, as in the locust task.
    costs["portal: POST product"] = measure(portal_product, args.times, before=portal_form, redis=redis)
    costs["portal: product page"] = measure(portal_product_page, args.times, redis=redis)
    costs["portal: POST price"] = measure(portal_price, args.times, before=portal_product_page, redis=redis)
    costs["trivial"] = measure(lambda: visitor.get("/bench/trivial/"), args.times, redis=redis)

    print(
        f"\nin-process, {args.times} requests of each kind (test client, DEBUG=false, full middleware): the median "
        "wall time, the mean CPU of this process, its PostgreSQL backend and Redis"
    )
    print(f"{'request':<32}{'share':>7}{'wall ms':>9}{'CPU ms':>9}{'queries':>9}{'cache':>7}")
    total = sum(count for name, (count, _rps) in mixed_counts.items() if name != "Aggregated")
    for name, cost in costs.items():
        share = mixed_counts.get(name, (0, 0))[0] / total if name != "trivial" else 0
        for label, figures in cost.items() if "hit" in cost else [("", cost)]:
            shown = f"{name} ({label})" if label else name
            print(
                f"{shown:<32}{share:7.1%}{figures['ms']:9.2f}{figures['cpu']:9.2f}"
                f"{figures['queries']:9d}{figures['redis']:7d}"
            )

    def average(public_as: str) -> float:
        weighted = 0.0
        for name, (count, _rps) in mixed_counts.items():
            if name == "Aggregated" or name not in costs:
                continue  # logins: once per user
            cost = costs[name][public_as] if "hit" in costs[name] else costs[name]
            weighted += count * cost["cpu"]
        counted = sum(count for name, (count, _rps) in mixed_counts.items() if name in costs)
        return weighted / counted

    trivial_rps = trivial_counts["Aggregated"][1]
    mixed_rps = mixed_counts["Aggregated"][1]
    machine = 1000 * args.cores / trivial_rps  # ms of the machine a trivial request costs
    own = costs["trivial"]["cpu"]
    outside = machine - own
    print(
        f"\nthe last load run: trivial {trivial_rps:.0f} req/s, mixed {mixed_rps:.0f} req/s "
        f"({mixed_rps / trivial_rps:.2f}×); {args.cores} cores"
    )
    print(
        f"a trivial request: {machine:.2f} ms of the machine, {own:.2f} ms of it CPU in Django; "
        f"serving any request outside Django: {outside:.2f} ms"
    )
    for public_as, shown in (("miss", "misses (each rendered)"), ("hit", "hits (the best case)")):
        mix = average(public_as)
        bound = (own + outside) / (mix + outside)
        print(
            f"the mix with public pages as {shown}: {mix:.2f} ms of CPU a request in Django, PostgreSQL and Redis "
            f"→ at most "
            f"{bound:.2f} × the trivial throughput (target ≥ {TARGET_RATIO:.2f})"
        )


if __name__ == "__main__":
    main()
