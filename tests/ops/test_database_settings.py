"""The PostgreSQL connection the settings make: no JIT compiling (it cost a public search's
count more than the count itself, issue 17), unless DATABASE_URL's own ``?options=`` says
otherwise.

PostgreSQL only (marker ``postgres``): the server of DATABASE_URL when the suite runs on
PostgreSQL (CI), else 127.0.0.1:5432 as user postgres; each case starts Django in its own
process with that server's maintenance database as DATABASE_URL.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.postgres

READ_JIT = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT current_setting('jit')")
    print(cursor.fetchone()[0])
"""


def maintenance_url() -> str:
    db = connection.settings_dict
    if connection.vendor != "postgresql":
        return "postgres://postgres@127.0.0.1:5432/postgres"
    auth = (db["USER"] or "postgres") + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


def jit_of_a_connection(database_url: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "festival.settings"}
    done = subprocess.run(
        [sys.executable, "-c", READ_JIT], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_connections_run_without_jit():
    assert jit_of_a_connection(maintenance_url()) == "off"


def test_a_database_url_with_its_own_options_keeps_them():
    assert jit_of_a_connection(maintenance_url() + "?options=-c%20jit%3Don") == "on"
