#!/usr/bin/env python3
"""Benchmark: open a window of 200,000 approved promotions on PostgreSQL.

Times the real clock tick (promotions.clock.run_clock_tick, what the periodic
task runs: row locks, batched conditional updates, one PromotionEvent per
promotion, the batch events and their notification tasks enqueued), then resets
the same rows and times a single raw ``UPDATE … WHERE`` over them, and prints
both and the ratio. Target: tick ≤ 3 × raw UPDATE.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_clock \\
        .venv/bin/python bench/clock.py [--count 200000] [--batch-size 5000]

The database is created (and migrated) when missing; its rows are replaced on
every run. Tasks go to an in-memory broker, so nothing leaks to a real worker.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.support import ensure_secret_key  # noqa: E402

ensure_secret_key()
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_clock"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
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
    festival_id, merchant_id = prepare(connection, now)

    def reset():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM promotions_promotionevent")
            cursor.execute("DELETE FROM promotions_promotion")
            cursor.execute(
                """
                INSERT INTO promotions_promotion (
                    festival_id, merchant_id, title, description, kind, percent_off,
                    starts_at, ends_at, banner, banner_thumbnail, stream_host, stream_url,
                    status, review_note, created_at, updated_at)
                SELECT %s, %s, 'Promotion ' || n, '', 'percent_off', 10,
                       %s - interval '1 minute' - (n %% 60) * interval '1 second', %s + interval '3 days',
                       '', '', '', '', 'approved', '', %s, %s
                FROM generate_series(1, %s) AS n
                """,
                [festival_id, merchant_id, now, now, now, now, args.count],
            )
        vacuum(connection)

    reset()
    started = time.perf_counter()
    result = run_clock_tick()
    tick_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM promotions_promotion WHERE status = 'live'")
        live = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM promotions_promotionevent WHERE to_status = 'live'")
        events = cursor.fetchone()[0]
    assert live == events == args.count, (live, events, result)

    reset()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE promotions_promotion SET status = 'live', went_live_at = %s, updated_at = %s
            WHERE status = 'approved' AND starts_at <= %s AND ends_at > %s
            """,
            [now, now, now, now],
        )
        raw_rows = cursor.rowcount
    raw_seconds = time.perf_counter() - started
    assert raw_rows == args.count

    print(f"promotions:                 {args.count:,} (batch size {settings.CLOCK_BATCH_SIZE:,})")
    print(f"clock tick (real task path): {tick_seconds:8.3f} s  ({live:,} live, {events:,} PromotionEvent rows)")
    print(f"raw UPDATE … WHERE:          {raw_seconds:8.3f} s  ({raw_rows:,} rows, no records)")
    print(f"ratio tick / raw:            {tick_seconds / raw_seconds:8.2f} ×  (target ≤ 3 ×)")


def prepare(connection, now):
    """One running festival and one merchant; promotions are (re)inserted by SQL."""
    from datetime import timedelta

    from festival.models import Festival, FestivalStatus
    from merchants.models import Merchant

    festival, _ = Festival.objects.update_or_create(
        slug="bench-clock",
        defaults={
            "name": "Clock benchmark",
            "registration_opens_at": now - timedelta(days=30),
            "registration_closes_at": now - timedelta(days=10),
            "submission_deadline": now - timedelta(days=5),
            "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=10),
            "status": FestivalStatus.RUNNING,
        },
    )
    merchant, _ = Merchant.objects.get_or_create(
        name="Benchmark merchant", defaults={"country": "HK", "kind": "brand_enterprise"}
    )
    return festival.pk, merchant.pk


def vacuum(connection):
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE promotions_promotion")
        cursor.execute("VACUUM ANALYZE promotions_promotionevent")


if __name__ == "__main__":
    main()
