"""For tests of what the settings do to a PostgreSQL connection (marker ``postgres``): the
server of DATABASE_URL when the suite runs on PostgreSQL (CI), else 127.0.0.1:5432 as user
postgres, and Django started in its own process against that server."""

import os
import subprocess
import sys

from django.conf import settings
from django.db import connection


def maintenance_url() -> str:
    """The server's maintenance database, ``postgres``."""
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        return "postgres://postgres@127.0.0.1:5432/postgres"
    auth = (db["USER"] or "postgres") + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


def run_django(script: str, database_url: str) -> str:
    """What ``script`` prints, run with the project's settings in a new process whose
    DATABASE_URL is ``database_url`` (each connection setting applies from the start)."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "festival.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
