#!/usr/bin/env python3
"""Benchmark: 100 calls of 5,000 parcel rows through the real API on PostgreSQL.

Times ``POST /api/v1/parcels/`` through Django's full stack (test client: middleware,
API-key authentication, throttles, JSON parsing, the view, the service's checks, the
carrier's lock, the read of the old rows, the versions of replaced rows and the bulk
upsert), then empties the tables and times the same 100 batches written by one
hand-written ``INSERT … ON CONFLICT DO UPDATE`` each, which writes the same history
rows (a data-modifying CTE) from rows already in Python lists, and prints both and the
ratio. Target: API ≤ 2 × hand-written SQL.

Seven carriers take turns: the first seven calls create their rows, every later call
replaces a carrier's 5,000 rows with new figures (5,000 history rows each).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_parcels \\
        .venv/bin/python bench/parcels.py [--calls 100] [--rows 5000]

The database is created (and migrated) when missing; its parcel rows are replaced on every run.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.support import ensure_secret_key  # noqa: E402

ensure_secret_key()
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_parcels"
CARRIERS = 7


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("bench/parcels.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "festival.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("API_THROTTLE_KEY", "100000/min")
    from bench.support import ensure_database

    ensure_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    now = timezone.now()
    festival, carriers, keys = prepare(now)
    batches = make_batches(festival, args.calls, args.rows)

    # 1. The real API.
    reset(connection)
    client = Client()
    bodies = [json.dumps({"reports": rows}) for _n, rows in batches]  # the partner's side, not timed
    started = time.perf_counter()
    for (n, _rows), body in zip(batches, bodies, strict=True):
        response = client.post(
            "/api/v1/parcels/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {keys[n % CARRIERS]}",
        )
        assert response.status_code == 200, response.content[:500]
    api_seconds = time.perf_counter() - started
    api_counts = counts(connection)

    # 2. One hand-written INSERT … ON CONFLICT DO UPDATE per batch, with the same history rows.
    reset(connection)
    prepared = []
    for n, rows in batches:
        prepared.append(
            (
                carriers[n % CARRIERS],
                [row["date"] for row in rows],
                [row["province"] for row in rows],
                *(
                    [row[name] for row in rows]
                    for name in ("collected", "delivered", "rural_collected", "rural_delivered")
                ),
            )
        )
    started = time.perf_counter()
    for carrier_id, dates, provinces, collected, delivered, rural_collected, rural_delivered in prepared:
        with connection.cursor() as cursor:
            moment = timezone.now()
            cursor.execute(
                UPSERT,
                {
                    "carrier": carrier_id,
                    "dates": dates,
                    "provinces": provinces,
                    "collected": collected,
                    "delivered": delivered,
                    "rural_collected": rural_collected,
                    "rural_delivered": rural_delivered,
                    "now": moment,
                    "reporter": "bench",
                },
            )
    raw_seconds = time.perf_counter() - started
    raw_counts = counts(connection)
    assert api_counts == raw_counts, (api_counts, raw_counts)

    rows_total = args.calls * args.rows
    print(f"calls × rows:                 {args.calls} × {args.rows:,} ({rows_total:,} rows, {CARRIERS} carriers)")
    print(f"stored:                       {api_counts[0]:,} reports, {api_counts[1]:,} replaced versions")
    print(f"API (POST /api/v1/parcels/):  {api_seconds:8.3f} s  ({api_seconds / args.calls * 1000:.0f} ms a call)")
    print(f"hand-written upsert:          {raw_seconds:8.3f} s  ({raw_seconds / args.calls * 1000:.0f} ms a call)")
    print(f"ratio API / hand-written:     {api_seconds / raw_seconds:8.2f} ×  (target ≤ 2 ×)")


UPSERT = """
WITH incoming AS (
    SELECT * FROM unnest(
        %(dates)s::date[], %(provinces)s::varchar[], %(collected)s::bigint[], %(delivered)s::bigint[],
        %(rural_collected)s::bigint[], %(rural_delivered)s::bigint[]
    ) AS i (date, province_id, collected, delivered, rural_collected, rural_delivered)
),
replaced AS (
    INSERT INTO logistics_parcelreportversion (
        report_id, collected, delivered, rural_collected, rural_delivered, channel, reporter, reported_at,
        replaced_at, replaced_through, replaced_by)
    SELECT r.id, r.collected, r.delivered, r.rural_collected, r.rural_delivered, r.channel, r.reporter,
           r.reported_at, %(now)s, 'api', %(reporter)s
    FROM logistics_parcelreport r
    JOIN incoming i ON r.carrier_id = %(carrier)s AND r.date = i.date AND r.province_id = i.province_id
    WHERE (r.collected, r.delivered, r.rural_collected, r.rural_delivered)
          IS DISTINCT FROM (i.collected, i.delivered, i.rural_collected, i.rural_delivered)
)
INSERT INTO logistics_parcelreport (
    carrier_id, date, province_id, collected, delivered, rural_collected, rural_delivered,
    channel, reporter, reported_at)
SELECT %(carrier)s, date, province_id, collected, delivered, rural_collected, rural_delivered,
       'api', %(reporter)s, %(now)s
FROM incoming
ON CONFLICT (carrier_id, date, province_id) DO UPDATE SET
    collected = EXCLUDED.collected, delivered = EXCLUDED.delivered,
    rural_collected = EXCLUDED.rural_collected, rural_delivered = EXCLUDED.rural_delivered,
    channel = EXCLUDED.channel, reporter = EXCLUDED.reporter, reported_at = EXCLUDED.reported_at
"""


def prepare(now):
    """A closed festival of 90 days (150 reportable days: 34 provinces × 148 days ≥ 5,000 rows),
    seven carriers and a parcels:write key for each."""
    from datetime import timedelta

    from api.models import ApiKey
    from api.services import create_api_key
    from festival.models import Festival, FestivalStatus
    from logistics.models import Carrier
    from merchants.uscc import make_uscc

    start = now - timedelta(days=130)
    festival, _ = Festival.objects.update_or_create(
        slug="bench-parcels",
        defaults={
            "name": "Parcels benchmark",
            "registration_opens_at": start - timedelta(days=30),
            "registration_closes_at": start - timedelta(days=10),
            "submission_deadline": start - timedelta(days=5),
            "starts_at": start,
            "ends_at": start + timedelta(days=90),
            "status": FestivalStatus.CLOSED,
        },
    )
    carriers, keys = [], []
    for n in range(CARRIERS):
        carrier, _ = Carrier.objects.get_or_create(
            code=f"BENCH{n}", defaults={"name": f"Benchmark carrier {n}", "uscc": make_uscc(f"9131000000000{n:04d}")}
        )
        ApiKey.objects.filter(carrier=carrier).delete()
        _key, raw = create_api_key(name=f"bench {n}", scopes=["parcels:write"], carrier=carrier)
        carriers.append(carrier.pk)
        keys.append(raw)
    return festival, carriers, keys


def make_batches(festival, calls, rows_per_call):
    """(call number, rows): the same days and provinces for every carrier, new figures on every round."""
    from festival.models import Province
    from logistics.periods import reporting_period

    provinces = list(Province.objects.values_list("code", flat=True))
    days = reporting_period(festival).days
    keys = [(day, code) for day in days for code in provinces][:rows_per_call]
    if len(keys) < rows_per_call:
        sys.exit(f"only {len(keys)} days × provinces in the benchmark festival's window")
    batches = []
    for n in range(calls):
        round_ = n // CARRIERS
        rows = []
        for index, (day, code) in enumerate(keys):
            collected = 10_000 + (index * 37 + round_ * 101) % 5_000
            delivered = 9_000 + (index * 53 + round_ * 89) % 5_000
            rows.append(
                {
                    "date": day.isoformat(),
                    "province": code,
                    "collected": collected,
                    "delivered": delivered,
                    "rural_collected": collected // 7,
                    "rural_delivered": delivered // 5,
                }
            )
        batches.append((n, rows))
    return batches


def reset(connection):
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE logistics_parcelreportversion, logistics_parcelreport")
        cursor.execute("VACUUM ANALYZE logistics_parcelreport")
        cursor.execute("VACUUM ANALYZE logistics_parcelreportversion")


def counts(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM logistics_parcelreport")
        reports = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM logistics_parcelreportversion")
        versions = cursor.fetchone()[0]
    return reports, versions


if __name__ == "__main__":
    main()
