"""PostgreSQL gone mid-run, with a real web server (gunicorn): every page and the API
answer 503 with ``Retry-After`` (the site's page, the API's JSON), never a 500 or a
stack trace, and fast — reset connections at once, a silent network within
``DATABASE_CONNECT_TIMEOUT``; ``/healthz`` names the database; a write refused
during the outage left nothing behind; and once the database is back the same
requests are served, with no restart.

The web server reaches PostgreSQL through a proxy of the test's own
(tests/outages.py TcpProxy) that the test takes down and brings back. It works in a
database of its own on the PostgreSQL server (DATABASE_URL's when the suite runs on
PostgreSQL, else 127.0.0.1:5432, as the backup test does): migrated, then given a
merchant and a key by the app's own code. Without a server the test fails and says so.
"""

import itertools
import json
import subprocess
import sys
import time

import psycopg
import pytest
import requests

from tests.festival.test_clock_worker import ROOT, Processes, wait_for
from tests.ops.test_backup_restore import admin, server, url
from tests.outages import TcpProxy, closed_port

pytestmark = [pytest.mark.postgres, pytest.mark.worker]

CONNECT_TIMEOUT = 2
PAGES = itertools.count(1)
SETUP = """
import json, django
django.setup()
from api.models import ApiScope
from api.services import create_api_key
from django.contrib.sessions.backends.db import SessionStore
from tests.factories import MerchantFactory, ProductFactory, UserFactory
merchant = MerchantFactory()
ProductFactory(merchant=merchant, sku="KEPT-1")
_, raw = create_api_key(name="partner", scopes=list(ApiScope.values), merchant=merchant)
organiser = UserFactory(is_staff=True, is_superuser=True)
session = SessionStore()
session.update({"_auth_user_id": str(organiser.pk), "_auth_user_hash": organiser.get_session_auth_hash(),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"})
session.create()
print(json.dumps({"key": raw, "session": session.session_key}))
"""


@pytest.fixture
def outage_database(tmp_path):
    """A migrated database of the test's own, with a merchant, one product and a key."""
    pg = server()
    try:
        admin(pg, "SELECT 1")
    except psycopg.OperationalError as exc:
        pytest.fail(f"the database-outage test needs PostgreSQL at {pg['host']}:{pg['port']}: {exc}")
    name = f"{pg['prefix']}_outage"
    admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(pg, f'CREATE DATABASE "{name}"')
    env = {**Processes(tmp_path).env, "DATABASE_URL": url(pg, name)}
    try:
        for command in (["manage.py", "migrate", "--no-input", "-v0"], ["-c", SETUP]):
            done = subprocess.run(
                [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, done.stderr[-3000:]
        yield pg, name, json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def web(outage_database, tmp_path):
    """gunicorn on the outage database, through the proxy."""
    pg, name, data = outage_database
    proxy = TcpProxy(pg["host"], pg["port"])
    through_proxy = url({**pg, "host": "127.0.0.1", "port": str(proxy.port)}, name)
    processes = Processes(
        tmp_path,
        DEBUG="false",  # production: what a visitor sees, whatever a developer's .env says
        DATABASE_URL=through_proxy,
        DATABASE_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
        ALLOWED_HOSTS="127.0.0.1",
    )
    port = closed_port()
    processes.web_url = f"http://127.0.0.1:{port}"
    try:
        processes._start(
            "web",
            [
                *("-m", "gunicorn", "festival.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--threads", "4"),
                *("--no-control-socket", "--timeout", "60"),
            ],
        )
        wait_for(lambda: _answer(f"{processes.web_url}/healthz?part=database")[0] == 200, timeout=60, message="web")
        processes.proxy, processes.data = proxy, data
        processes.database = psycopg.connect(
            host=pg["host"], port=pg["port"], user=pg["user"], password=pg["password"], dbname=name, autocommit=True
        )
        yield processes
    finally:
        processes.kill_all()
        proxy.close()
        if getattr(processes, "database", None) is not None:
            processes.database.close()


def _answer(address, method="GET", **kwargs):
    """(status, seconds, headers, text) — status None when nothing answered."""
    started = time.monotonic()
    try:
        response = requests.request(method, address, timeout=30, **kwargs)
    except requests.RequestException:
        return None, time.monotonic() - started, {}, ""
    return response.status_code, time.monotonic() - started, response.headers, response.text


def _visit(web):
    """Every kind of page: the public site (a page in the page cache, and one that is
    not), the admin logged in (its session is in the
    database: the failure comes from a middleware), the API anonymous and keyed, a keyed
    write, and /healthz."""
    api = {"Authorization": f"Api-Key {web.data['key']}"}
    logged_in = {"sessionid": web.data["session"]}
    return {
        "home": _answer(f"{web.web_url}/"),
        "merchants": _answer(f"{web.web_url}/merchants/?page={next(PAGES)}"),  # never cached before
        "admin": _answer(f"{web.web_url}/admin/", cookies=logged_in, allow_redirects=False),
        "api festivals": _answer(f"{web.web_url}/api/v1/festivals/"),
        "api products": _answer(f"{web.web_url}/api/v1/products/", headers=api),
        "api write": _answer(
            f"{web.web_url}/api/v1/products/",
            "POST",
            headers=api,
            json={"sku": "OUTAGE-1", "name": "断网商品", "unit": "件"},
        ),
        "healthz": _answer(f"{web.web_url}/healthz?part=database"),
    }


def _products(web, sku) -> int:
    return web.database.execute("SELECT count(*) FROM merchants_product WHERE sku = %s", [sku]).fetchone()[0]


def test_database_down_every_page_answers_503_fast_and_the_app_recovers_without_restart(web):
    before = _visit(web)
    assert _products(web, "OUTAGE-1") == 1
    web.database.execute("DELETE FROM merchants_product WHERE sku = 'OUTAGE-1'")

    web.proxy.down()  # the server is gone: connections reset
    refused = _visit(web)
    web.proxy.silent()  # a dead network: nothing answers
    silent = {
        name: _answer(f"{web.web_url}{path}")
        for name, path in (("merchants", f"/merchants/?page={next(PAGES)}"), ("api", "/api/v1/festivals/"))
    }
    left_by_the_outage = _products(web, "OUTAGE-1")  # asked directly, not through the proxy
    web.proxy.up()  # back
    after = _visit(web)

    assert {name: status for name, (status, *_rest) in before.items()} == {
        **dict.fromkeys(before, 200),
        "api write": 201,
    }
    # The home page is in the page cache (Redis, or the file cache): it is still served.
    assert {name: status for name, (status, *_rest) in refused.items()} == {**dict.fromkeys(refused, 503), "home": 200}
    assert 'class="error-page"' not in refused["home"][3] and len(refused["home"][3]) > 1000
    for name, (_status, seconds, headers, text) in refused.items():
        assert seconds < 2, f"{name} took {seconds:.1f} s with the database gone"
        assert "Traceback" not in text and "psycopg" not in text and "_outage" not in text, (name, text)
        if name not in ("healthz", "home"):
            assert headers.get("Retry-After") == "30", name
    for name in ("merchants", "admin"):
        assert 'class="error-page"' in refused[name][3] and "Back in a moment" in refused[name][3], name
    for name in ("api festivals", "api products", "api write"):
        assert json.loads(refused[name][3])["code"] == "unavailable", name
    assert json.loads(refused["healthz"][3])["failed"] == ["database"]
    assert left_by_the_outage == 0, "a write refused during the outage left a row"

    assert {name: status for name, (status, *_rest) in silent.items()} == {"merchants": 503, "api": 503}
    for name, (_status, seconds, _headers, _text) in silent.items():
        assert seconds < CONNECT_TIMEOUT + 3, f"{name} waited {seconds:.1f} s on a silent network"

    assert {name: status for name, (status, *_rest) in after.items()} == {
        name: status for name, (status, *_rest) in before.items()
    }
    assert _products(web, "OUTAGE-1") == 1 and _products(web, "KEPT-1") == 1
