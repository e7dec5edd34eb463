"""The PostgreSQL connection the settings make: no JIT compiling (it cost a public search's
count more than the count itself, issue 17), unless DATABASE_URL's own ``?options=`` says
otherwise.

PostgreSQL only (marker ``postgres``): the server of DATABASE_URL when the suite runs on
PostgreSQL (CI), else 127.0.0.1:5432 as user postgres; each case starts Django in its own
process with that server's maintenance database as DATABASE_URL.
"""

import pytest

from tests.postgres import maintenance_url, run_django

pytestmark = pytest.mark.postgres

READ_JIT = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT current_setting('jit')")
    print(cursor.fetchone()[0])
"""


def test_connections_run_without_jit():
    assert run_django(READ_JIT, maintenance_url()) == "off"


def test_a_database_url_with_its_own_options_keeps_them():
    assert run_django(READ_JIT, maintenance_url() + "?options=-c%20jit%3Don") == "on"
