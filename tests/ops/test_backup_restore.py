"""Backup and restore as docs/deploy.md tells an operator: seed the demo into a
PostgreSQL database, ``pg_dump -Fc`` it, ``pg_restore`` into an empty database,
and find every row of every table — every history event among them — and the
sequences where they were.

PostgreSQL only (marker ``postgres``): the server of DATABASE_URL when the suite
runs on PostgreSQL (CI), else 127.0.0.1:5432 as user postgres. Without a server
the test fails and says so; it does not skip.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests import clock

pytestmark = pytest.mark.postgres

ROOT = Path(settings.BASE_DIR)
HISTORY_TABLES = [
    "festival_festivalevent",
    "merchants_participationevent",
    "merchants_certificateevent",
    "promotions_promotionevent",
    "reports_reportevent",
]


def server() -> dict:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return {
            "host": db["HOST"] or "127.0.0.1",
            "port": str(db["PORT"] or 5432),
            "user": db["USER"] or "postgres",
            "password": db["PASSWORD"] or "",
            "prefix": db["NAME"],
        }
    return {"host": "127.0.0.1", "port": "5432", "user": "postgres", "password": "", "prefix": "festival_test"}


def admin(pg, sql):
    with psycopg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], password=pg["password"], dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql)


def url(pg, name):
    auth = pg["user"] + (f":{pg['password']}" if pg["password"] else "")
    return f"postgres://{auth}@{pg['host']}:{pg['port']}/{name}"


def snapshot(pg, name) -> dict:
    """Per table: (rows, md5 of all rows in order); per sequence: its last value."""
    with psycopg.connect(
        host=pg["host"], port=pg["port"], user=pg["user"], password=pg["password"], dbname=name
    ) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        found = {}
        for table in tables:
            found[table] = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM \"{table}\" t"
            ).fetchone()
        sequences = dict(
            conn.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'").fetchall()
        )
    return {"tables": found, "sequences": sequences}


def run(command, env):
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    )
    return result


@pytest.fixture
def postgres(tmp_path):
    pg = server()
    for tool in ("pg_dump", "pg_restore"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: apt-get install postgresql-client")
    try:
        admin(pg, "SELECT 1")
    except psycopg.OperationalError as exc:
        pytest.fail(f"the backup test needs PostgreSQL at {pg['host']}:{pg['port']} (user {pg['user']}): {exc}")
    names = {"source": f"{pg['prefix']}_backup_source", "restored": f"{pg['prefix']}_backup_restored"}
    for name in names.values():
        admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        yield pg, names
    finally:
        for name in names.values():
            admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dump_of_the_seeded_demo_restores_every_row_and_every_history_event(postgres, tmp_path):
    pg, names = postgres
    admin(pg, f'CREATE DATABASE "{names["source"]}"')
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "ENV_FILE")},
        "DJANGO_SETTINGS_MODULE": "festival.settings",
        "DATABASE_URL": url(pg, names["source"]),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ENV_FILE": str(tmp_path / "none.env"),
        "PGPASSWORD": pg["password"],
    }
    # The demo seeded on the test's clock, as the worker tests run Celery (tests/clock_shim.py).
    shim = [sys.executable, "-m", "tests.clock_shim", str(clock.offset_from_wall_clock()), "django"]
    run([*shim, "migrate", "--noinput", "-v", "0"], env)
    run([*shim, "seed_demo"], env)
    dump = tmp_path / "festival.dump"
    where = ["-h", pg["host"], "-p", pg["port"], "-U", pg["user"]]

    run(["pg_dump", *where, "-Fc", "--no-owner", "-f", str(dump), names["source"]], env)
    admin(pg, f'CREATE DATABASE "{names["restored"]}"')
    run(["pg_restore", *where, "--no-owner", "--exit-on-error", "-d", names["restored"], str(dump)], env)

    before, after = snapshot(pg, names["source"]), snapshot(pg, names["restored"])
    assert before["tables"]["promotions_promotion"][0] > 100  # the demo was seeded
    assert all(before["tables"][table][0] > 0 for table in HISTORY_TABLES if table != "reports_reportevent")
    assert {t: before["tables"][t] for t in HISTORY_TABLES} == {t: after["tables"][t] for t in HISTORY_TABLES}
    assert after["tables"] == before["tables"]
    assert after["sequences"] == before["sequences"]
