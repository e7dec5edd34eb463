"""Mixed load against the production stack, and the same users on a trivial view (issue 15, "Measured").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_load \\
    REDIS_URL=redis://127.0.0.1:6379/9 \\
    /work/main/.venv/bin/python bench/load.py [--users 100] [--seconds 60] [--scale-out] [--fresh]

Creates the database when missing, migrates it and seeds the demo data
(``seed_demo``, about a minute the first time, reused afterwards), then gives each
approved participant of the running festival a portal login and a merchant-bound
API key (``api.services.create_api_key``; last run's keys are deleted), and runs
``VACUUM ANALYZE`` (PostgreSQL runs here without autovacuum). It empties
the Redis database it is given and starts, with ``DEBUG=false``, gunicorn
(``-w 3``), a Celery worker and beat; the clock ticks every 5 s here (its beat row
is edited in this database) instead of 30 s.

Default run: locust, headless (``bench/locustfile.py``), first on a trivial view
(the ceiling of this machine, gunicorn and middleware), then with the mixed
load — public pages, keyed API reads and writes, portal logins and form posts —
the same number of users, spawn rate and duration. Prints throughput,
p50/p95/p99 and errors of both and the ratio (target: mixed ≥ 0.40 × trivial,
0 errors; ``--rounds N`` alternates N pairs of runs and takes the ratio of the
means, so the machine's other work weighs on both alike). Then every write
locust saw accepted is looked up in the database
("lost writes", target 0), and the approved promotions that were planted to
start during the mixed run must each have gone live exactly once (one
``PromotionEvent`` to "live", never before their start).

``--scale-out``: the mixed load on one gunicorn and one worker, then on two
gunicorn instances (two ports, users spread over both) and two workers on the
same PostgreSQL and Redis, while the bench also enqueues a clock tick every
second so both workers race for it; the same write and clock checks after each
run, and the two-instance throughput against the one-instance one (target: no
drop). The artefacts (locust CSVs and logs, accepted writes, process logs) are in
var/bench-load/. The exit status is 1 when a request failed, a write was lost or
the clock moved a promotion other than once.
"""

import argparse
import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ART = ROOT / "var" / "bench-load"
MIXED = ["PublicVisitor", "ApiPartner", "PortalMerchant"]
TRIVIAL = ["TrivialVisitor"]
KEY_NAME = "bench-load"
LOGIN_PASSWORD = "bench-load-2026"
CLOCK_TITLE = "bench-load clock "
CLOCK_EVERY_SECONDS = 5
TARGET_RATIO = 0.40


# Setup ----------------------------------------------------------------------------


def setup_django(fresh: bool):
    sys.path.insert(0, str(ROOT))
    url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_load")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
    if not url.startswith("postgres"):
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    # The production way: DEBUG off, so a real key; every process started below inherits these.
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.load_settings",
        DEBUG="false",
        SECRET_KEY=f"bench-load-{secrets.token_urlsafe(40)}",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    from bench.support import ensure_database

    if fresh:
        drop_database(url)
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", quiet=True)
    print(f"database {url.rsplit('/', 1)[-1]}: migrated and seeded in {time.perf_counter() - started:.0f} s")


def drop_database(url):
    from urllib.parse import urlsplit

    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def prepare() -> tuple[dict, object, list]:
    """Logins, keys and the ids the users need; returns the locust config, the festival and its merchants."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from api.models import ApiKey, ApiScope
    from api.services import create_api_key
    from festival.models import Category, Festival, FestivalStatus
    from merchants.models import Membership, MembershipRole
    from promotions.models import Promotion, PromotionKind
    from public.selectors import visible_merchants, visible_promotions

    festival = Festival.objects.filter(status=FestivalStatus.RUNNING).order_by("-starts_at").first()
    if festival is None:
        sys.exit("The demo data has no running festival any more (its special session ran out): rerun with --fresh.")
    merchants = list(visible_merchants(festival).order_by("pk"))
    User = get_user_model()
    with transaction.atomic():
        Promotion.objects.filter(title__startswith=CLOCK_TITLE).delete()
        ApiKey.objects.filter(name=KEY_NAME).delete()
        logins, keys = [], []
        for merchant in merchants:
            username = f"bench-load-{merchant.pk}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(username, password=LOGIN_PASSWORD)
                Membership.objects.create(user=user, merchant=merchant, role=MembershipRole.STAFF)
            logins.append({"username": username, "password": LOGIN_PASSWORD, "merchant": merchant.pk})
            _key, raw = create_api_key(name=KEY_NAME, scopes=[ApiScope.READ, ApiScope.PRICES_WRITE], merchant=merchant)
            keys.append({"key": raw, "merchant": merchant.pk})
    # PostgreSQL runs here without autovacuum, as production's would not: the rows earlier
    # runs deleted or updated (planted promotions, tallies, sessions) would be read again.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    config = {
        "festival": festival.slug,
        "promotions": list(visible_promotions(festival).values_list("pk", flat=True)),
        "categories": list(Category.objects.values_list("slug", flat=True)),
        "promotion_kinds": list(PromotionKind.values),
        "api_keys": keys,
        "portal_logins": logins,
    }
    print(
        f"festival {festival.slug}: {len(merchants)} merchants (a login and a key each), "
        f"{len(config['promotions'])} public promotions"
    )
    return config, festival, merchants


def tick_every(seconds: int):
    """The clock's beat row, edited in this database: the run then sees a few ticks, not one or two."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period=IntervalSchedule.SECONDS)
    for row in PeriodicTask.objects.filter(task="festival.sync_festival_clock"):
        row.interval = every
        row.save()


def plant_clock_promotions(festival, merchants, count, *, first, last) -> list[int]:
    """Approved promotions whose starts are spread over [first, last]: the clock must move each exactly once."""
    from promotions.models import Promotion, PromotionKind, PromotionStatus

    step = (last - first) / max(1, count - 1)
    rows = [
        Promotion(
            festival=festival,
            merchant=merchants[i % len(merchants)],
            title=f"{CLOCK_TITLE}{i}",
            description="Planted by bench/load.py: starts during the run.",
            kind=PromotionKind.PERCENT_OFF,
            percent_off=Decimal("10"),
            starts_at=first + step * i,
            ends_at=first + step * i + timedelta(days=1),
            status=PromotionStatus.APPROVED,
        )
        for i in range(count)
    ]
    return [p.pk for p in Promotion.objects.bulk_create(rows)]


# Processes --------------------------------------------------------------------------


class Stack:
    """gunicorn instances, Celery workers and beat, each in its own process group, logs in ART."""

    def __init__(self):
        self.processes = []
        self.hosts = []
        self.workers = 0

    def _start(self, name, argv):
        log = open(ART / f"{name}.log", "w")  # noqa: SIM115 (closed with the process, in stop)
        process = subprocess.Popen(
            [str(a) for a in argv], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((name, process, log))
        return process

    def add_gunicorn(self):
        from bench.support import free_port

        port = free_port()
        name = f"gunicorn-{len(self.hosts) + 1}"
        process = self._start(
            name, [BIN / "gunicorn", "festival.wsgi", "-b", f"127.0.0.1:{port}", "-w", "3", "--no-control-socket"]
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            if process.poll() is not None:
                sys.exit(f"{name} stopped; see {ART / name}.log")
            try:
                with urllib.request.urlopen(f"{url}/bench/trivial/", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            sys.exit(f"{name} did not answer; see {ART / name}.log")
        self.hosts.append(url)
        return url

    def add_worker(self):
        self.workers += 1
        name = f"worker-{self.workers}"
        self._start(
            name,
            [BIN / "celery", "-A", "festival", "worker", "-n", f"load{self.workers}@%h", "-c", "2", "-l", "warning"],
        )
        from festival.celery import app

        deadline = time.time() + 90
        while time.time() < deadline:
            if len(app.control.ping(timeout=1.0) or []) >= self.workers:
                return
        sys.exit(f"{name} did not come up; see {ART / name}.log")

    def add_beat(self):
        self._start("beat", [BIN / "celery", "-A", "festival", "beat", "-l", "warning"])

    def stop(self):
        for _name, process, _log in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process, log in reversed(self.processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()


def clock_ticks() -> dict[str, int]:
    """Clock ticks each worker has run since it started (Celery's own counters)."""
    from festival.celery import app

    stats = app.control.inspect(timeout=2.0).stats() or {}
    return {name.split("@")[0]: s.get("total", {}).get("festival.sync_festival_clock", 0) for name, s in stats.items()}


def empty_redis():
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()


# One locust run ---------------------------------------------------------------------


def wait_idle(hosts, *, limit=180.0) -> float:
    """Wait until every host answers the trivial view at once: gunicorn's sync workers
    take queued connections in order, so a quick answer means the last run's queue
    (requests whose clients locust already dropped) is drained. Returns the seconds waited."""
    began = time.perf_counter()
    for host in hosts:
        while time.perf_counter() - began < limit:
            asked = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{host}/bench/trivial/", timeout=limit) as response:
                    response.read()
            except OSError:
                pass
            if time.perf_counter() - asked < 0.5:
                break
    return time.perf_counter() - began


def run_locust(name, classes, config, hosts, args, *, tick=False) -> dict:
    """Run locust headless for args.seconds; returns its aggregate figures and the per-request rows."""
    prefix = ART / name
    accepted = ART / f"{name}-accepted.jsonl"
    accepted.unlink(missing_ok=True)
    config_path = ART / f"{name}-config.json"
    config_path.write_text(json.dumps({**config, "hosts": hosts}), encoding="utf-8")
    env = {**os.environ, "LOAD_CONFIG": str(config_path), "LOAD_ACCEPTED": str(accepted), "LOAD_THINK": str(args.think)}
    argv = [
        BIN / "locust",
        "-f",
        ROOT / "bench" / "locustfile.py",
        "--headless",
        "-u",
        args.users,
        "-r",
        args.spawn_rate,
        "-t",
        f"{args.seconds}s",
        "--csv",
        prefix,
        "--host",
        hosts[0],
        "--only-summary",
        *classes,
    ]
    waited = wait_idle(hosts)
    drained = f" (after {waited:.0f} s draining the last run's queue)" if waited >= 1 else ""
    print(f"{name}: {args.users} users on {len(hosts)} host(s) for {args.seconds} s{drained} …", flush=True)
    with open(ART / f"{name}-locust.log", "w") as log:
        process = subprocess.Popen([str(a) for a in argv], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        if tick:
            from festival.celery import app

            while process.poll() is None:
                app.send_task("festival.sync_festival_clock")
                time.sleep(1)
        process.wait()
    rows = list(csv.DictReader(Path(f"{prefix}_stats.csv").read_text(encoding="utf-8").splitlines()))
    if not rows:
        sys.exit(f"locust wrote no statistics; see {ART / name}-locust.log")

    def figures(row):
        return {
            "name": row["Name"],
            "requests": int(row["Request Count"]),
            "errors": int(row["Failure Count"]),
            "rps": float(row["Requests/s"]),
            "p50": float(row["50%"]),
            "p95": float(row["95%"]),
            "p99": float(row["99%"]),
        }

    total = figures(next(r for r in rows if r["Name"] == "Aggregated"))
    total["by_name"] = [figures(r) for r in rows if r["Name"] != "Aggregated"]
    total["failures"] = list(csv.DictReader(Path(f"{prefix}_failures.csv").read_text(encoding="utf-8").splitlines()))
    total["accepted"] = accepted
    return total


def line(label, f):
    return (
        f"{label:<16}{f['rps']:7.1f} req/s  p50 {f['p50']:6.0f} ms  p95 {f['p95']:6.0f} ms  p99 {f['p99']:6.0f} ms  "
        f"errors {f['errors']} of {f['requests']}"
    )


def print_breakdown(f):
    for row in sorted(f["by_name"], key=lambda r: r["name"]):
        print(
            f"    {row['name']:<28}{row['requests']:6d} req  p50 {row['p50']:6.0f}  p95 {row['p95']:6.0f}  "
            f"p99 {row['p99']:6.0f} ms  errors {row['errors']}"
        )
    for failure in f["failures"][:10]:
        print(f"    failed {failure['Occurrences']}×: {failure['Method']} {failure['Name']}: {failure['Error'][:160]}")


# Checks afterwards --------------------------------------------------------------------


def lost_writes(path: Path) -> tuple[int, int]:
    """(accepted, lost): every product and price the server accepted, looked up in the database."""
    from merchants.models import PricePoint, Product

    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    products = {r["id"]: (r["merchant"], r["sku"]) for r in records if r["kind"] == "product"}
    stored = {
        pk: (m, sku) for pk, m, sku in Product.objects.filter(pk__in=products).values_list("pk", "merchant", "sku")
    }
    lost = sum(stored.get(pk) != expected for pk, expected in products.items())
    prices = [r for r in records if r["kind"] == "price"]
    points = set(
        PricePoint.objects.filter(product__in={r["product"] for r in prices}).values_list("pk", "product", "price")
    )
    by_product = {(product, price) for _pk, product, price in points}
    by_id = {(pk, product, price) for pk, product, price in points}
    for record in prices:
        price = Decimal(record["price"])
        if "id" in record:  # the API answers the new row's id
            lost += (record["id"], record["product"], price) not in by_id
        else:  # the portal redirects; a fresh product gets one price from the load
            lost += (record["product"], price) not in by_product
    return len(records), lost


def clock_check(ids, *, settle_seconds) -> dict:
    """Wait for the clock to catch up with the planted promotions, then count went-live records per promotion."""
    from django.db.models import Count, F, Q
    from django.utils import timezone

    from promotions.models import Promotion, PromotionStatus

    planted = Promotion.objects.filter(pk__in=ids)
    deadline = time.time() + settle_seconds
    while True:
        now = timezone.now()
        waiting = planted.filter(starts_at__lte=now, status=PromotionStatus.APPROVED).count()
        if not waiting or time.time() > deadline:
            break
        time.sleep(1)
    rows = planted.annotate(went_live=Count("events", filter=Q(events__to_status=PromotionStatus.LIVE)))
    due = rows.filter(starts_at__lte=now)
    return {
        "due": due.count(),
        "once": due.filter(went_live=1, status=PromotionStatus.LIVE).count(),
        "never": due.filter(went_live=0).count(),
        "twice": rows.filter(went_live__gt=1).count(),
        "early": rows.filter(went_live_at__lt=F("starts_at")).count(),
        "not_due_moved": rows.filter(starts_at__gt=now, went_live__gt=0).count(),
    }


def mixed_run(name, config, festival, merchants, hosts, args, *, tick=False) -> dict:
    from django.utils import timezone

    start = timezone.now()
    ids = plant_clock_promotions(
        festival,
        merchants,
        args.clock_promotions,
        first=start + timedelta(seconds=2),
        last=start + timedelta(seconds=max(3, args.seconds - 2)),
    )
    ticks_before = clock_ticks()
    result = run_locust(name, MIXED, config, hosts, args, tick=tick)
    result["clock"] = clock_check(ids, settle_seconds=3 * CLOCK_EVERY_SECONDS + 10)
    result["ticks"] = {worker: n - ticks_before.get(worker, 0) for worker, n in sorted(clock_ticks().items())}
    result["writes"], result["lost"] = lost_writes(result["accepted"])
    return result


def report_checks(result) -> bool:
    clock = result["clock"]
    print(f"  writes accepted {result['writes']}, lost writes: {result['lost']}")
    print(
        f"  clock: {clock['due']} planted promotions started during the run; went live exactly once: {clock['once']}, "
        f"never: {clock['never']}, more than once: {clock['twice']}, before their start: {clock['early']}, "
        f"not yet due but moved: {clock['not_due_moved']}"
    )
    print("  clock ticks run: " + ", ".join(f"{worker} {n}" for worker, n in result["ticks"].items()))
    clock_ok = clock["once"] == clock["due"] and not (clock["twice"] or clock["early"] or clock["not_due_moved"])
    return result["errors"] == 0 and result["lost"] == 0 and clock_ok


# Main ---------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--think", type=float, default=0, help="mean seconds a user waits between tasks (default 0)")
    parser.add_argument("--clock-promotions", type=int, default=100, help="approved promotions starting in the run")
    parser.add_argument("--rounds", type=int, default=1, help="alternate trivial and mixed runs this many times")
    parser.add_argument("--scale-out", action="store_true", help="one instance, then two gunicorns and two workers")
    parser.add_argument("--fresh", action="store_true", help="drop the database first and seed it again")
    args = parser.parse_args()

    ART.mkdir(parents=True, exist_ok=True)
    setup_django(args.fresh)
    config, festival, merchants = prepare()
    tick_every(CLOCK_EVERY_SECONDS)
    empty_redis()
    from django.db import connection

    connection.close()  # the checks reconnect; no idle transaction held through the run

    stack = Stack()
    ok = True
    try:
        stack.add_gunicorn()
        stack.add_worker()
        stack.add_beat()
        print(f"gunicorn -w 3 at {stack.hosts[0]}, 1 Celery worker (-c 2), beat (clock every {CLOCK_EVERY_SECONDS} s)")
        if not args.scale_out:
            rounds = []
            for n in range(1, args.rounds + 1):
                suffix = f"-{n}" if args.rounds > 1 else ""
                trivial = run_locust(f"trivial{suffix}", TRIVIAL, config, stack.hosts, args)
                time.sleep(2)
                rounds.append((trivial, mixed_run(f"mixed{suffix}", config, festival, merchants, stack.hosts, args)))
            print()
            print(f"{args.users} users, spawn {args.spawn_rate}/s, {args.seconds} s each, think {args.think} s")
            for n, (trivial, mixed) in enumerate(rounds, 1):
                label = f"round {n} " if args.rounds > 1 else ""
                print(line(f"{label}trivial", trivial))
                print(line(f"{label}mixed", mixed))
                print_breakdown(mixed)
                ok = report_checks(mixed) and trivial["errors"] == 0 and ok
            # Rounds alternate, so a change in the machine's other work weighs on both sides alike.
            ratio = sum(m["rps"] for _t, m in rounds) / sum(t["rps"] for t, _m in rounds)
            verdict = "OK" if ratio >= TARGET_RATIO else "BELOW TARGET"
            print(f"  ratio: mixed = {ratio:.2f} × trivial throughput (target ≥ {TARGET_RATIO:.2f}) → {verdict}")
        else:
            one = mixed_run("one-instance", config, festival, merchants, stack.hosts, args)
            stack.add_gunicorn()
            stack.add_worker()
            print(
                f"second gunicorn -w 3 at {stack.hosts[1]}, second Celery worker; the bench enqueues a tick every 1 s"
            )
            time.sleep(2)
            two = mixed_run("two-instances", config, festival, merchants, stack.hosts, args, tick=True)
            ratio = two["rps"] / one["rps"]
            print()
            print(f"{args.users} users, spawn {args.spawn_rate}/s, {args.seconds} s each, think {args.think} s")
            print(line("one instance", one))
            ok = report_checks(one)
            print(line("two instances", two))
            print_breakdown(two)
            ok = report_checks(two) and ok
            verdict = "OK" if ratio >= 1.0 else "DROPPED"
            print(f"  ratio: two instances = {ratio:.2f} × one instance's throughput (target ≥ 1.00) → {verdict}")
    finally:
        stack.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
