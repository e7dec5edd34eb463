#!/usr/bin/env python3
"""Benchmark: open a window of 200,000 approved promotions on PostgreSQL.

Times the real clock tick (promotions.clock.run_clock_tick, what the periodic
task runs: the clock lock, row locks, batched conditional updates, one
PromotionEvent per promotion, the batch events and their notification and
webhook tasks written to the outbox and relayed) against a baseline that writes
the same records in one hand-written statement: a data-modifying CTE whose
``UPDATE … RETURNING`` feeds ``INSERT INTO promotions_promotionevent``. After
each run the promotions and their history are fingerprinted (every promotion
counted by status, the history rows counted, an md5 over the due rows' status,
went_live_at, ended_at and updated_at and over every new event's columns, one
sample row of each); every run, tick or baseline, must leave what the first left.

The data: ``--count`` due promotions (approved, started, not ended) among
``--others`` more (live, ended, approved for later, submitted) of ``--merchants``
merchants, and a history table that already holds each promotion's earlier
status changes (1–4 each). Tick and baseline alternate over ``--samples``
samples, each from the same reset state; best and median are printed, and the
ratio of the medians against the target (≤ 2 ×). Then idle ticks (nothing due)
are timed at the full table size, in milliseconds: right after the move (its
dead index entries and statistics from before it), and after VACUUM ANALYZE. The
plans of their "due now" queries are shown with EXPLAIN (ANALYZE): each must find its rows
through an index bounded by the due boundary (the partial indexes
promotion_due_to_start and promotion_due_to_end at large sizes), never a walk
over the primary key or the table (checked from 100,000 promotions; on a quick
run's small table a sequential scan can be the planner's right choice).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_clock \\
        .venv/bin/python bench/clock.py [--count 200000] [--others 300000] \\
        [--merchants 5000] [--samples 3] [--batch-size 5000]

The database is created (and migrated) when missing; its merchants, promotions,
history and outbox are replaced on every run. Tasks go to an in-memory broker,
so nothing leaks to a real worker; the clock lock is PostgreSQL's advisory lock
(``REDIS_URL`` is ignored).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.support import ensure_secret_key  # noqa: E402

ensure_secret_key()
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_clock"
TARGET = 2.0
IDLE_RUNS = 5
SCANS = ("Index Scan", "Index Only Scan", "Seq Scan")
CHECKED_FROM = 100_000  # promotions; below, scanning the little table may be the planner's right choice

# The baseline: the same rows moved and the same history rows written, in one statement.
BASELINE_SQL = """
    WITH moved AS (
        UPDATE promotions_promotion
        SET status = 'live', went_live_at = %(now)s, updated_at = %(now)s
        WHERE status = 'approved' AND starts_at <= %(now)s AND ends_at > %(now)s
        RETURNING id
    )
    INSERT INTO promotions_promotionevent (promotion_id, from_status, to_status, note, created_at)
    SELECT id, 'approved', 'live', '', %(now)s FROM moved
"""

# Earlier status changes, per status a promotion holds before the run: the history
# the table already has (created_at before the run's moment, so a reset keeps it).
HISTORY = [
    ("submitted", 1, "draft", "submitted"),
    ("approved", 1, "draft", "submitted"),
    ("approved", 2, "submitted", "approved"),
    ("live", 1, "draft", "submitted"),
    ("live", 2, "submitted", "approved"),
    ("live", 3, "approved", "live"),
    ("ended", 1, "draft", "submitted"),
    ("ended", 2, "submitted", "approved"),
    ("ended", 3, "approved", "live"),
    ("ended", 4, "live", "ended"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000, help="due promotions the tick opens")
    parser.add_argument(
        "--others", type=int, default=300_000, help="promotions not due (live, ended, later, submitted)"
    )
    parser.add_argument("--merchants", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=3, help="tick and baseline runs each, alternating")
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("bench/clock.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    os.environ.pop("REDIS_URL", None)  # the tick lock then lives in PostgreSQL (advisory lock)
    if args.batch_size:
        os.environ["CLOCK_BATCH_SIZE"] = str(args.batch_size)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "festival.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from bench.support import ensure_database

    ensure_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from festival.celery import app

    app.conf.broker_url = "memory://localhost/"  # enqueueing stays in the timing, delivery stays here
    call_command("migrate", verbosity=0)

    from promotions.clock import run_clock_tick

    now = timezone.now()
    started = time.perf_counter()
    due_ids = populate(connection, now, args)
    total = args.count + args.others
    print(
        f"promotions: {total:,} ({args.count:,} due, {args.others:,} others) of {args.merchants:,} merchants, "
        f"{count(connection, 'promotions_promotionevent'):,} history rows already; "
        f"batch size {settings.CLOCK_BATCH_SIZE:,}; made in {time.perf_counter() - started:.0f} s"
    )

    def run_tick():
        result = run_clock_tick(now=now)
        assert result == {"festivals": 0, "started": args.count, "ended": 0}, result

    def run_baseline():
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, {"now": now})  # autocommit: the statement commits itself
            assert cursor.rowcount == args.count, cursor.rowcount

    timings = {"tick": [], "baseline": []}
    fingerprints = {}
    outbox = []  # outbox rows each tick wrote: its notification and webhook tasks
    runs = [("tick", run_tick), ("baseline", run_baseline)]
    for sample in range(args.samples):
        for name, run in runs if sample % 2 == 0 else runs[::-1]:
            reset(connection, now, due_ids)
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)
            written = fingerprint(connection, now, due_ids)
            # Every run, tick or baseline, must leave exactly what the first run left.
            first = fingerprints.setdefault("first", written)
            assert written == first, (name, written, first)
            fingerprints[name] = written
            if name == "tick":
                outbox.append(count(connection, "core_outboxmessage"))
            print(f"  sample {sample + 1} {name:<8} {timings[name][-1]:8.3f} s", flush=True)
    assert fingerprints["tick"] == fingerprints["baseline"], fingerprints
    check = fingerprints["tick"]

    # Nothing is due now: the last run opened every due promotion. An idle tick at full
    # size, right after that move (dead index entries, statistics from before it), then
    # once VACUUM ANALYZE has run, as autovacuum soon does.
    idle = {}
    plans = []
    for state in ("right after the move", "after VACUUM ANALYZE"):
        if state.startswith("after"):
            vacuum(connection)
        idle[state] = []
        for _ in range(IDLE_RUNS):
            started = time.perf_counter()
            result = run_clock_tick()
            idle[state].append(time.perf_counter() - started)
            assert result == {"festivals": 0, "started": 0, "ended": 0}, result
        plans.extend(explain_due_queries(connection, run_clock_tick, state, checked=total >= CHECKED_FROM))

    tick, base = timings["tick"], timings["baseline"]
    ratio = statistics.median(tick) / statistics.median(base)
    print(f"records equal:               {check['statuses']}; {check['events']:,} new events, md5 equal")
    print(f"  sample promotion:          {check['sample_promotion']}")
    print(f"  sample event:              {check['sample_event']}")
    print(f"clock tick (real task path): best {min(tick):7.3f} s, median {statistics.median(tick):7.3f} s")
    print(f"  (each also wrote {outbox[0]:,} outbox rows: its notification and webhook tasks, relayed)")
    print(f"one statement UPDATE+INSERT: best {min(base):7.3f} s, median {statistics.median(base):7.3f} s")
    print(
        f"ratio tick / baseline:       median {ratio:.2f} ×, best {min(tick) / min(base):.2f} ×  (target ≤ {TARGET:g} ×)"
    )
    for state, runs in idle.items():
        print(
            f"idle tick at {total:,} promotions, {state}: best {min(runs) * 1000:.1f} ms, "
            f"median {statistics.median(runs) * 1000:.1f} ms over {IDLE_RUNS} ticks"
        )
    for line in plans:
        print(f"  {line}")


def bench_categories() -> list[int]:
    """Five top-level categories with two children each (ids), made once."""
    from festival.models import Category

    ids = []
    for top in range(5):
        parent, _ = Category.objects.get_or_create(slug=f"bench-clock-{top}", defaults={"name": f"基准类目 {top}"})
        ids.append(parent.pk)
        for child in range(2):
            category, _ = Category.objects.get_or_create(
                slug=f"bench-clock-{top}-{child}", defaults={"name": f"基准类目 {top}-{child}", "parent": parent}
            )
            ids.append(category.pk)
    return ids


def populate(connection, now, args):
    """Replace the bench's data: one running festival, ``--merchants`` merchants,
    the due promotions (ids returned), the others, and their earlier history."""
    from datetime import timedelta

    from festival.models import Festival, FestivalStatus

    festival, _ = Festival.objects.update_or_create(
        slug="bench-clock",
        defaults={
            "name": "Clock benchmark",
            "registration_opens_at": now - timedelta(days=40),
            "registration_closes_at": now - timedelta(days=30),
            "submission_deadline": now - timedelta(days=25),
            "starts_at": now - timedelta(days=20),
            "ends_at": now + timedelta(days=10),
            "status": FestivalStatus.RUNNING,
        },
    )
    params = {"festival": festival.pk, "now": now, "merchants": args.merchants}
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE promotions_promotionevent, promotions_promotion, core_outboxmessage, merchants_merchant CASCADE"
        )
        cursor.execute(
            """
            INSERT INTO merchants_merchant (
                name, legal_name, uscc_override_reason, kind, country, website, logo, logo_thumbnail,
                contact_name, contact_email, contact_phone, created_at, updated_at)
            SELECT 'Bench merchant ' || n, '', '', 'brand_enterprise', 'HK', '', '', '', '', '', '', %(now)s, %(now)s
            FROM generate_series(1, %(merchants)s) AS n
            """,
            params,
        )
        cursor.execute("SELECT min(id) FROM merchants_merchant")
        params["merchant"] = cursor.fetchone()[0]
        columns = """festival_id, merchant_id, title, description, kind, percent_off, starts_at, ends_at,
            banner, banner_thumbnail, stream_host, stream_url, status, review_note, went_live_at, ended_at,
            created_at, updated_at"""
        # The due promotions: approved, started in the last minute, ending in 3 days.
        cursor.execute(
            f"""
            INSERT INTO promotions_promotion ({columns})
            SELECT %(festival)s, %(merchant)s + n %% %(merchants)s, 'Promotion ' || n, '', 'percent_off', 10,
                   %(now)s - interval '1 minute' - (n %% 60) * interval '1 second', %(now)s + interval '3 days',
                   '', '', '', '', 'approved', '', NULL, NULL,
                   %(now)s - interval '20 days', %(now)s - interval '20 days'
            FROM generate_series(1, %(count)s) AS n
            RETURNING id
            """,
            {**params, "count": args.count},
        )
        due_ids = sorted(row[0] for row in cursor.fetchall())
        # The others, by n mod 10: 4 live, 3 ended, 2 approved for later, 1 submitted.
        cursor.execute(
            f"""
            INSERT INTO promotions_promotion ({columns})
            SELECT %(festival)s, %(merchant)s + n %% %(merchants)s, 'Other promotion ' || n, '', 'percent_off', 10,
                   starts_at, ends_at, '', '', '', '', status, '',
                   CASE WHEN status IN ('live', 'ended') THEN starts_at END,
                   CASE WHEN status = 'ended' THEN ends_at END,
                   %(now)s - interval '20 days', %(now)s - interval '1 day'
            FROM (
                SELECT n,
                       CASE WHEN n %% 10 < 4 THEN 'live' WHEN n %% 10 < 7 THEN 'ended'
                            WHEN n %% 10 < 9 THEN 'approved' ELSE 'submitted' END AS status,
                       CASE WHEN n %% 10 < 4 THEN %(now)s - interval '1 day' - (n %% 3600) * interval '1 second'
                            WHEN n %% 10 < 7 THEN %(now)s - interval '15 days' - (n %% 3600) * interval '1 second'
                            ELSE %(now)s + interval '1 day' + (n %% 86400) * interval '1 second' END AS starts_at,
                       CASE WHEN n %% 10 < 4 THEN %(now)s + interval '5 days' + (n %% 3600) * interval '1 second'
                            WHEN n %% 10 < 7 THEN %(now)s - interval '10 days' + (n %% 3600) * interval '1 second'
                            ELSE %(now)s + interval '8 days' + (n %% 86400) * interval '1 second' END AS ends_at
                FROM generate_series(1, %(others)s) AS n
            ) AS other
            """,
            {**params, "others": args.others},
        )
        # As in production: every merchant an approved participant, every promotion in one or two
        # categories (a top-level one or a child), which the clock's roll-ups (promotions.tallies) follow.
        cursor.execute(
            """
            INSERT INTO merchants_participation (merchant_id, festival_id, status, applied_at, decision_note, updated_at)
            SELECT id, %(festival)s, 'approved', %(now)s, '', %(now)s FROM merchants_merchant
            """,
            params,
        )
        categories = bench_categories()
        cursor.execute(
            """
            INSERT INTO promotions_promotion_categories (promotion_id, category_id)
            SELECT p.id, (%(categories)s::bigint[])[1 + (p.id + k) %% cardinality(%(categories)s::bigint[])]
            FROM promotions_promotion p CROSS JOIN generate_series(0, 1) AS k
            WHERE k = 0 OR p.id %% 2 = 0
            """,
            {"categories": categories},
        )
        history = ", ".join(f"('{status}', {step}, '{old}', '{new}')" for status, step, old, new in HISTORY)
        cursor.execute(
            f"""
            INSERT INTO promotions_promotionevent (promotion_id, from_status, to_status, note, created_at)
            SELECT promotion.id, path.from_status, path.to_status, '',
                   promotion.created_at + path.step * interval '1 hour'
            FROM promotions_promotion AS promotion
            JOIN (VALUES {history}) AS path (status, step, from_status, to_status) ON path.status = promotion.status
            ORDER BY promotion.created_at, promotion.id, path.step
            """
        )
    vacuum(connection)
    return due_ids


def reset(connection, now, due_ids):
    """Back to the state before a run: the due promotions approved again, the run's
    events and outbox rows gone, the earlier history kept."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE promotions_promotion SET status = 'approved', went_live_at = NULL, updated_at = created_at
            WHERE id BETWEEN %s AND %s AND status <> 'approved'
            """,
            [due_ids[0], due_ids[-1]],
        )
        cursor.execute("DELETE FROM promotions_promotionevent WHERE created_at >= %s", [now])
        cursor.execute("TRUNCATE core_outboxmessage")
    vacuum(connection)


def fingerprint(connection, now, due_ids):
    """What a run wrote: promotions by status, an md5 over the due promotions' moved
    columns and over the new events' columns, and one sample row of each."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM promotions_promotion GROUP BY status ORDER BY status")
        statuses = dict(cursor.fetchall())
        cursor.execute(
            """
            SELECT md5(string_agg(concat_ws('|', id, status, went_live_at, ended_at, updated_at), ',' ORDER BY id))
            FROM promotions_promotion WHERE id BETWEEN %s AND %s
            """,
            [due_ids[0], due_ids[-1]],
        )
        promotions_md5 = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT count(*), md5(string_agg(concat_ws('|', promotion_id, from_status, to_status, actor_id, note,
                                                      created_at), ',' ORDER BY promotion_id, to_status))
            FROM promotions_promotionevent WHERE created_at >= %s
            """,
            [now],
        )
        events, events_md5 = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM promotions_promotionevent")
        all_events = cursor.fetchone()[0]
        middle = due_ids[len(due_ids) // 2]
        cursor.execute(
            "SELECT id, status, went_live_at, ended_at, updated_at FROM promotions_promotion WHERE id = %s", [middle]
        )
        sample_promotion = cursor.fetchone()
        cursor.execute(
            """
            SELECT promotion_id, from_status, to_status, actor_id, note, created_at
            FROM promotions_promotionevent WHERE promotion_id = %s AND created_at >= %s
            """,
            [middle, now],
        )
        sample_event = cursor.fetchall()
    return {
        "statuses": statuses,
        "promotions_md5": promotions_md5,
        "events": events,
        "all_events": all_events,
        "events_md5": events_md5,
        "sample_promotion": sample_promotion,
        "sample_event": sample_event,
    }


def explain_due_queries(connection, run_clock_tick, state, *, checked):
    """EXPLAIN (ANALYZE) each statement an idle tick sends that reads promotions "due
    now", in a transaction rolled back: the rows are found through an index bounded
    by the due boundary (the partial index, or the status one at small sizes), never
    by walking the primary key or the table."""
    from django.db import transaction

    statements = []

    def capture(execute, sql, params, many, context):
        if "promotions_promotion" in sql and "FOR UPDATE" in sql:
            statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        run_clock_tick()
    assert len(statements) == 2, [sql for sql, _ in statements]
    lines = []
    for (sql, params), boundary in zip(statements, ("starts_at <=", "ends_at <="), strict=True):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0].strip() for row in cursor.fetchall()]
            transaction.set_rollback(True)
        # The due CTE's innermost scan (an index, bitmap index or table scan), then its condition.
        first = next(n for n, line in enumerate(plan) if any(w in line for w in SCANS) and "CTE Scan" not in line)
        scan, condition = plan[first], plan[first + 1]
        bounded = (
            "Index" in scan and "pkey" not in scan and condition.startswith("Index Cond") and boundary in condition
        )
        assert bounded or not checked, plan
        timing = next(line for line in plan if line.startswith("Execution Time"))
        lines.append(f"due query of an idle tick, {state}: {timing}")
        lines.append(f"  -> {scan.removeprefix('-> ')}")
        lines.append(f"     {condition}")
    return lines


def count(connection, table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def vacuum(connection):
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE promotions_promotion")
        cursor.execute("VACUUM ANALYZE promotions_promotionevent")
        cursor.execute("VACUUM ANALYZE core_outboxmessage")


if __name__ == "__main__":
    main()
